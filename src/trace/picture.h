/* picture.h - the one drawer behind every racelab picture (internal).
 *
 * A picture is lanes (one per thread), marks in them (a step, a folded run
 * of steps, a bill), arrows between marks, and an axis. A mark spans
 * [x0, x1) in the picture's own unit: a column per step for an explorer's
 * trace (racelab/draw.h), nanoseconds or steps for a billing run
 * (racelab/timeline.h). pic_svg writes it as a standalone SVG document;
 * the same picture always gives the same bytes.
 *
 * The markup is what tests and reports read: a lane is <g class="lane"
 * data-thread=N>, a mark <g class="mark[ failing][ folded][ end]"
 * data-line data-step data-thread> with a <title> (its tooltip) and, when
 * failing, a <text class="why"> saying why in words (never colour alone;
 * a cross under a mark too narrow for the word, which its tooltip says);
 * an arrow is <g class="arrow"> with its label. Colours meet WCAG AA
 * contrast (4.5:1) for text on its background.
 */
#ifndef RACELAB_TRACE_PICTURE_H
#define RACELAB_TRACE_PICTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "racelab/error.h"

enum {
    PIC_FAILING = 1u << 0, /* it makes the failure: heavier outline, its word below */
    PIC_FOLDED = 1u << 1,  /* it stands for several lines: dashed */
    PIC_PREEMPT = 1u << 2, /* a preemption: a flag on top */
    PIC_END = 1u << 3,     /* the run's end: a diamond */
};

typedef struct {
    char name[48];
    long id; /* data-thread, or -1 */
} pic_lane;

typedef struct {
    size_t lane;
    double x0, x1;                /* where it spans, in the picture's unit */
    char label[48], sub[48];      /* written in it, when it is wide enough */
    char *tip;                    /* its tooltip (heap; pic_free frees it) */
    const char *why;              /* failing: the word below it */
    unsigned flags;               /* PIC_* */
    unsigned tone;                /* 0: the usual fill; k: the legend's k-th colour */
    long line, step, thread;      /* its data- attributes, each left out when -1 */
} pic_mark;

typedef struct {
    size_t from, to;   /* marks */
    const char *label; /* written beside it, or NULL */
} pic_arrow;

typedef struct {
    double x; /* in the picture's unit */
    char text[24];
} pic_tick;

typedef struct {
    char title[256], subtitle[600], caption[256];
    pic_lane *lanes;
    size_t nlanes, cap_lanes;
    pic_mark *marks;
    size_t nmarks, cap_marks;
    pic_arrow *arrows;
    size_t narrows, cap_arrows;
    pic_tick *ticks;
    size_t nticks, cap_ticks;
    bool ticks_below; /* a time axis under the lanes; else the step numbers above */
    double lo, unit;  /* x = LABEL_W + (v - lo) * unit pixels */
    double pad;       /* pixels left clear on each side of a mark */
    const char *tones[12]; /* the legend: what each tone (1..) stands for */
    size_t ntones;
    bool legend_failing;   /* the legend also shows what a failing mark looks like */
    const char *failing_name;
} picture;

void pic_init(picture *p);
void pic_free(picture *p);
/* A new lane, mark (zeroed, its data- attributes -1: left out), arrow or
 * tick at the end; NULL (false) when memory ran out. */
pic_lane *pic_add_lane(picture *p, const char *name, long id);
pic_mark *pic_add_mark(picture *p, size_t lane, double x0, double x1);
bool pic_add_arrow(picture *p, size_t from, size_t to, const char *label);
bool pic_add_tick(picture *p, double x, const char *text);

/* Append s to the mark's tooltip, at most max bytes of it (then "…"). */
bool pic_tip(pic_mark *m, const char *s, size_t max);
bool pic_tipf(pic_mark *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* p as an SVG document: RL_EINVAL for a NULL argument, RL_ESYS when f
 * could not be written. */
rl_err pic_svg(const picture *p, FILE *f);

/* s escaped for XML text or an attribute, at most max bytes (then "…"). */
void pic_text(FILE *f, const char *s, size_t max);
/* All of s escaped, its lines and tabs kept (for an HTML <pre>). */
void pic_lines(FILE *f, const char *s);

#endif
