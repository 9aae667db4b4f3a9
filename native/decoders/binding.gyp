{
  "targets": [
    {
      "target_name": "decoders",
      "sources": ["decoders.c", "jpeg_region.c", "png_labels.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "libraries": ["-ljpeg", "-lz"]
    }
  ]
}
