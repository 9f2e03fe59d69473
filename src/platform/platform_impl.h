/* platform_impl.h - between the platform's two files. Internal. */
#ifndef RACELAB_PLATFORM_IMPL_H
#define RACELAB_PLATFORM_IMPL_H

/* Threads started through the pthreads table whose function has not
 * returned yet (rl_platform_install refuses while any runs). */
unsigned rl__pthreads_running(void);

#endif
