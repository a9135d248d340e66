/*  log: leveled logging to stderr, daemon style.
 *
 *  Every line: time, role, level, message.  Never pass a secret or report
 *  contents above JAD_LOG_DEBUG.  The macros skip formatting when the level
 *  is off.
 */
#ifndef JAD_LOG_H
#define JAD_LOG_H

#include <stdarg.h>

typedef enum {
    JAD_LOG_ERROR = 0,
    JAD_LOG_WARN,
    JAD_LOG_NOTICE,
    JAD_LOG_INFO,
    JAD_LOG_DEBUG
} jad_log_level_t;

/* Set the role printed on each line (e.g. "hub") and the level shown.
 * ROLE is not copied: pass a string literal. */
void jad_log_init (const char *role, jad_log_level_t level);
/* Parse "error", "warn", "notice", "info", "debug"; -1 if unknown. */
int  jad_log_level_parse (const char *name);
extern jad_log_level_t jad_log_level;

void jad_log_write (jad_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define jad_log(lvl, ...) \
    do { if ((lvl) <= jad_log_level) jad_log_write ((lvl), __VA_ARGS__); } while (0)
#define jad_log_error(...)  jad_log (JAD_LOG_ERROR, __VA_ARGS__)
#define jad_log_warn(...)   jad_log (JAD_LOG_WARN, __VA_ARGS__)
#define jad_log_notice(...) jad_log (JAD_LOG_NOTICE, __VA_ARGS__)
#define jad_log_info(...)   jad_log (JAD_LOG_INFO, __VA_ARGS__)
#define jad_log_debug(...)  jad_log (JAD_LOG_DEBUG, __VA_ARGS__)

#endif
