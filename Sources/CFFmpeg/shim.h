#ifndef CFFMPEG_SHIM_H
#define CFFMPEG_SHIM_H
// Only bridges for what Swift cannot import from FFmpeg's headers (function-like or
// struct macros, variadics, fixed arrays). Each has a one-line reason.
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/samplefmt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>

// AVERROR(EAGAIN) is a function-like macro.
static inline int cff_averror_eagain(void) { return AVERROR(EAGAIN); }
// AVERROR_EOF is built with the FFERRTAG macro.
static inline int cff_averror_eof(void) { return AVERROR_EOF; }
// AVERROR(EINVAL) is a function-like macro.
static inline int cff_averror_einval(void) { return AVERROR(EINVAL); }
// AV_NOPTS_VALUE is a cast expression macro.
static inline int64_t cff_nopts_value(void) { return AV_NOPTS_VALUE; }
// AVFrame.data is a fixed array (imported as a tuple); sws_scale wants uint8_t *const *.
static inline uint8_t **cff_frame_data(AVFrame *frame) { return frame->data; }
// Same as cff_frame_data with the const element type sws_scale wants for its source.
static inline const uint8_t *const *cff_frame_source_data(const AVFrame *frame) {
    return (const uint8_t *const *)frame->data;
}
// AVFrame.linesize is a fixed array (imported as a tuple); sws_scale wants const int *.
static inline int *cff_frame_linesize(AVFrame *frame) { return frame->linesize; }
// AVFrame.extended_data for av_audio_fifo_write/read (void **), avoids pointer casts in Swift.
static inline void **cff_frame_audio_planes(AVFrame *frame) { return (void **)frame->extended_data; }

#endif
