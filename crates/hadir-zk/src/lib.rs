//! ZKTeco codecs.
