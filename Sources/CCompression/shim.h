// The codecs of Kafka record batches, from Debian's zlib1g-dev, libsnappy-dev, liblz4-dev and
// libzstd-dev. The broker only needs them to read compressed batches when compacting.
#include <zlib.h>
#include <snappy-c.h>
#include <lz4frame.h>
#include <zstd.h>
