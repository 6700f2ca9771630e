/* tests/unit/test-civil-time.c: the French civil calendar (lib/civil-time.c):
 * Paris's wall-clock time, its summer-time switches, calendar months. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "unit.h"

#include "lib/civil-time.h"

/* A UTC instant, by the C library's own UTC arithmetic (no time zone). */
static int64_t utc(int y, int mo, int d, int h, int mi, int s) {
        struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s};
        return (int64_t) timegm(&tm);
}

static void assert_paris(int64_t t, int y, int mo, int d, int h, int mi, int s, int offset) {
        struct civil_time c;

        assert_int_equal(civil_paris(t, &c), 0);
        assert_int_equal(c.year, y);
        assert_int_equal(c.month, mo);
        assert_int_equal(c.day, d);
        assert_int_equal(c.hour, h);
        assert_int_equal(c.minute, mi);
        assert_int_equal(c.second, s);
        assert_int_equal(c.utc_offset, offset);
}

static int64_t plus_months(int64_t t, int months) {
        int64_t r = 0;

        assert_int_equal(civil_add_months(t, months, &r), 0);
        return r;
}

UNIT(test_calendar) {
        assert_int_equal(civil_days_from_date(1970, 1, 1), 0);
        assert_int_equal(civil_days_from_date(1969, 12, 31), -1);
        assert_int_equal(civil_days_from_date(2000, 3, 1), 11017);
        assert_int_equal(civil_days_from_date(2024, 2, 29) * 86400, utc(2024, 2, 29, 0, 0, 0));
        assert_int_equal(civil_days_from_date(1, 1, 1) * 86400, INT64_C(-62135596800));
        for (int64_t d = -800000; d <= 800000; d += 97) {
                int y, m, dd;

                civil_date_from_days(d, &y, &m, &dd);
                assert_int_equal(civil_days_from_date(y, m, dd), d);
                assert_true(m >= 1 && m <= 12 && dd >= 1 && dd <= civil_month_days(y, m));
        }
        assert_true(civil_is_leap(2000));
        assert_true(civil_is_leap(2024));
        assert_false(civil_is_leap(2100));
        assert_false(civil_is_leap(2025));
        assert_int_equal(civil_month_days(2024, 2), 29);
        assert_int_equal(civil_month_days(2025, 2), 28);
        assert_int_equal(civil_month_days(2100, 2), 28);
        assert_int_equal(civil_month_days(2025, 4), 30);
        assert_int_equal(civil_month_days(2025, 12), 31);
        assert_int_equal(civil_month_days(2025, 13), 0);
}

/* Winter and summer time, and an instant of the evening in UTC that is
 * already the next day in Paris. */
UNIT(test_paris_time) {
        assert_paris(utc(2024, 1, 15, 12, 0, 0), 2024, 1, 15, 13, 0, 0, 3600);
        assert_paris(utc(2024, 7, 1, 12, 0, 0), 2024, 7, 1, 14, 0, 0, 7200);
        assert_paris(utc(2025, 1, 14, 23, 30, 0), 2025, 1, 15, 0, 30, 0, 3600);
        assert_paris(utc(2025, 1, 14, 22, 59, 59), 2025, 1, 14, 23, 59, 59, 3600);
        assert_paris(utc(2025, 7, 9, 22, 0, 0), 2025, 7, 10, 0, 0, 0, 7200);
        assert_paris(utc(2024, 12, 31, 23, 0, 0), 2025, 1, 1, 0, 0, 0, 3600);
        assert_paris(utc(1969, 12, 31, 23, 0, 0), 1970, 1, 1, 0, 0, 0, 3600);
}

/* The switches, at 01:00 UTC on the last Sunday of March and October. */
UNIT(test_dst_switch_days) {
        /* 2024: 31 March, 27 October */
        assert_paris(utc(2024, 3, 31, 0, 59, 59), 2024, 3, 31, 1, 59, 59, 3600);
        assert_paris(utc(2024, 3, 31, 1, 0, 0), 2024, 3, 31, 3, 0, 0, 7200);
        assert_paris(utc(2024, 10, 27, 0, 59, 59), 2024, 10, 27, 2, 59, 59, 7200);
        assert_paris(utc(2024, 10, 27, 1, 0, 0), 2024, 10, 27, 2, 0, 0, 3600);
        /* 2025: 30 March, 26 October; the Sunday before is still winter time */
        assert_int_equal(civil_paris_offset(utc(2025, 3, 23, 12, 0, 0)), 3600);
        assert_int_equal(civil_paris_offset(utc(2025, 3, 30, 0, 59, 59)), 3600);
        assert_int_equal(civil_paris_offset(utc(2025, 3, 30, 1, 0, 0)), 7200);
        assert_int_equal(civil_paris_offset(utc(2025, 10, 26, 0, 59, 59)), 7200);
        assert_int_equal(civil_paris_offset(utc(2025, 10, 26, 1, 0, 0)), 3600);
        /* 2026: 29 March, 25 October (a month whose 31st is a Saturday) */
        assert_int_equal(civil_paris_offset(utc(2026, 3, 29, 1, 0, 0)), 7200);
        assert_int_equal(civil_paris_offset(utc(2026, 3, 28, 12, 0, 0)), 3600);
        assert_int_equal(civil_paris_offset(utc(2026, 10, 25, 1, 0, 0)), 3600);
        assert_int_equal(civil_paris_offset(utc(2026, 10, 24, 23, 0, 0)), 7200);
}

/* Against the C library's Europe/Paris (tzdata), every hour from 1997 to
 * 2037, when this machine has it: the rule is the EU's since 1996.  Only
 * the test sets TZ, never the library. */
UNIT(test_against_tzdata) {
        if (setenv("TZ", "Europe/Paris", 1) != 0)
                skip();
        tzset();
        struct tm probe;
        time_t jan = (time_t) utc(2024, 1, 15, 12, 0, 0);
        if (!localtime_r(&jan, &probe) || probe.tm_gmtoff != 3600) {
                unsetenv("TZ");
                tzset();
                skip(); /* no tzdata here */
        }
        for (int64_t t = utc(1997, 1, 1, 0, 30, 0); t < utc(2037, 12, 31, 0, 0, 0); t += 3600) {
                time_t tt = (time_t) t;
                struct tm tm;
                struct civil_time c;

                assert_non_null(localtime_r(&tt, &tm));
                assert_int_equal(civil_paris(t, &c), 0);
                if (c.utc_offset != tm.tm_gmtoff || c.year != tm.tm_year + 1900 || c.month != tm.tm_mon + 1 ||
                    c.day != tm.tm_mday || c.hour != tm.tm_hour || c.minute != tm.tm_min)
                        fail_msg("at %lld: %04d-%02d-%02d %02d:%02d %+d, tzdata %02d:%02d %+ld", (long long) t,
                                 c.year, c.month, c.day, c.hour, c.minute, c.utc_offset, tm.tm_hour, tm.tm_min,
                                 tm.tm_gmtoff);
        }
        unsetenv("TZ");
        tzset();
}

/* Calendar months: the same wall-clock time, the day brought back to the
 * month's last; a month is not 30 days. */
UNIT(test_add_months) {
        /* 31 January + 1 month: the last day of February, leap or not */
        assert_int_equal(plus_months(utc(2025, 1, 31, 9, 0, 0), 1), utc(2025, 2, 28, 9, 0, 0));
        assert_int_equal(plus_months(utc(2024, 1, 31, 9, 0, 0), 1), utc(2024, 2, 29, 9, 0, 0));
        assert_int_equal(plus_months(utc(2025, 3, 31, 8, 0, 0), 1), utc(2025, 4, 30, 8, 0, 0));
        /* 1 March 10:00 (CET) + 1 month: 1 April 10:00 (CEST), 31 days less an hour */
        assert_int_equal(plus_months(utc(2025, 3, 1, 9, 0, 0), 1), utc(2025, 4, 1, 8, 0, 0));
        /* 1 October 10:00 (CEST) + 1 month: 1 November 10:00 (CET), 31 days and an hour */
        assert_int_equal(plus_months(utc(2025, 10, 1, 8, 0, 0), 1), utc(2025, 11, 1, 9, 0, 0));
        /* across the year, and the Paris date, not the UTC one: 31 December
         * 23:30 UTC is 1 January 00:30 in Paris */
        assert_int_equal(plus_months(utc(2024, 11, 15, 11, 0, 0), 3), utc(2025, 2, 15, 11, 0, 0));
        assert_int_equal(plus_months(utc(2024, 12, 31, 23, 30, 0), 1), utc(2025, 1, 31, 23, 30, 0));
        assert_int_equal(plus_months(utc(2025, 1, 30, 23, 30, 0), 1), utc(2025, 2, 27, 23, 30, 0));
        /* years: 29 February + 12 months is 28 February; + 48, 29 February */
        assert_int_equal(plus_months(utc(2024, 2, 29, 11, 0, 0), 12), utc(2025, 2, 28, 11, 0, 0));
        assert_int_equal(plus_months(utc(2024, 2, 29, 11, 0, 0), 48), utc(2028, 2, 29, 11, 0, 0));
        assert_int_equal(plus_months(utc(2025, 1, 15, 11, 0, 0), 120), utc(2035, 1, 15, 11, 0, 0));
        /* negative months */
        assert_int_equal(plus_months(utc(2025, 3, 31, 8, 0, 0), -1), utc(2025, 2, 28, 9, 0, 0));
        assert_int_equal(plus_months(utc(2025, 1, 15, 11, 0, 0), -13), utc(2023, 12, 15, 11, 0, 0));
        assert_int_equal(plus_months(utc(2025, 3, 1, 9, 0, 0), -24), utc(2023, 3, 1, 9, 0, 0));
        assert_int_equal(plus_months(utc(2024, 2, 29, 11, 0, 0), -24), utc(2022, 2, 28, 11, 0, 0));
        assert_int_equal(plus_months(utc(2025, 7, 10, 10, 0, 0), 0), utc(2025, 7, 10, 10, 0, 0));
        /* a wall-clock time the spring switch skips: an hour later;
         * one the autumn switch repeats: its first, summer, occurrence */
        assert_int_equal(plus_months(utc(2025, 1, 30, 1, 30, 0), 2), utc(2025, 3, 30, 1, 30, 0));
        assert_int_equal(plus_months(utc(2025, 9, 26, 0, 30, 0), 1), utc(2025, 10, 26, 0, 30, 0));
        assert_int_equal(plus_months(utc(2025, 11, 26, 1, 30, 0), -1), utc(2025, 10, 26, 0, 30, 0));
}

UNIT(test_range) {
        int64_t r = 42;
        struct civil_time c;

        assert_int_equal(civil_add_months(INT64_MAX, 1, &r), -ERANGE);
        assert_int_equal(civil_add_months(INT64_MIN, -1, &r), -ERANGE);
        assert_int_equal(civil_add_months(utc(2025, 1, 1, 0, 0, 0), 10000 * 12, &r), -ERANGE);
        assert_int_equal(civil_add_months(utc(2025, 1, 1, 0, 0, 0), -2025 * 12, &r), -ERANGE);
        assert_int_equal(civil_add_months(utc(2025, 1, 1, 0, 0, 0), INT32_MIN, &r), -ERANGE);
        assert_int_equal(r, 42); /* untouched on failure */
        assert_int_equal(civil_add_months(0, 1, NULL), -EINVAL);
        assert_int_equal(civil_paris(INT64_MAX, &c), -ERANGE);
        assert_int_equal(civil_paris(INT64_MIN, &c), -ERANGE);
        assert_int_equal(civil_paris(0, NULL), -EINVAL);
        assert_int_equal(civil_paris(utc(9999, 12, 31, 22, 0, 0), &c), 0);
        assert_int_equal(civil_paris(utc(9999, 12, 31, 23, 0, 0), &c), -ERANGE); /* 10000 in Paris */
}

UNIT_GROUP("civil-time", NULL, NULL)
