{
  "targets": [{
    "target_name": "fuse",
    "include_dirs": [
      "<!(node -e \"require('napi-macros')\")",
    ],
    "libraries": [
      "<!@(pkg-config --libs fuse)",
    ],
    "sources": [
      "fuse-native.c",
      "fast-read.c",
      "fast-read-table.c",
      "fast-read-napi.c"
    ],
    'cflags': [
      "<!@(pkg-config --cflags fuse)",
      '-g',
      '-O3',
      '-Wall'
    ],
  }]
}
