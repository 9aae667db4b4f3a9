{
  "targets": [
    {
      "target_name": "decoders",
      "sources": ["decoders.c", "jpeg.c", "png_labels.c", "files.c", "check_jpeg.c", "ops.c", "ops_q.c", "ops_geom.c", "ops_field.c", "ops_filter.c", "ops_colour.c", "ops_napi.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-ffp-contract=off"],
      "libraries": ["-ljpeg", "-lz"]
    }
  ]
}
