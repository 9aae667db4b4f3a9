{
  "targets": [
    {
      "target_name": "decoders",
      "sources": ["decoders.c", "jpeg.c", "png_labels.c", "files.c", "check_jpeg.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "libraries": ["-ljpeg", "-lz"]
    }
  ]
}
