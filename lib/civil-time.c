/* lib/civil-time.c: the French civil calendar; see civil-time.h. */
#include <errno.h>
#include <stddef.h>

#include "civil-time.h"

#define DAY INT64_C(86400)
#define CET 3600
#define CEST 7200

/* Instants outside these cannot be a Paris time of years 1 to 9999:
 * 0001-01-01 and 10000-01-01 at 00:00 UTC, a day's margin each side. */
#define T_MIN (INT64_C(-62135596800) - DAY)
#define T_MAX (INT64_C(253402300800) + DAY)

/* Days before each month in a common year. */
static const int month_start[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

static int64_t floor_div(int64_t a, int64_t b) {
        int64_t q = a / b;
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b) {
        return a - floor_div(a, b) * b;
}

bool civil_is_leap(int year) {
        return floor_mod(year, 4) == 0 && (floor_mod(year, 100) != 0 || floor_mod(year, 400) == 0);
}

int civil_month_days(int year, int month) {
        static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

        if (month < 1 || month > 12)
                return 0;
        return days[month - 1] + (month == 2 && civil_is_leap(year));
}

/* Days from 0001-01-01 to 1 January of year y (negative before). */
static int64_t days_before_year(int64_t y) {
        int64_t p = y - 1;
        return 365 * p + floor_div(p, 4) - floor_div(p, 100) + floor_div(p, 400);
}

int64_t civil_days_from_date(int year, int month, int day) {
        int64_t y = (int64_t) year + floor_div((int64_t) month - 1, 12);
        int m = (int) floor_mod((int64_t) month - 1, 12); /* 0 to 11 */
        int64_t days = days_before_year(y) - days_before_year(1970);

        return days + month_start[m] + (m > 1 && civil_is_leap((int) y)) + day - 1;
}

void civil_date_from_days(int64_t days, int *ret_year, int *ret_month, int *ret_day) {
        /* a year's first guess, corrected by whole years, then the month */
        int64_t y = 1970 + floor_div(days, 146097) * 400 + floor_mod(days, 146097) * 400 / 146097;
        while (civil_days_from_date((int) y, 1, 1) > days)
                y--;
        while (civil_days_from_date((int) y + 1, 1, 1) <= days)
                y++;
        int doy = (int) (days - civil_days_from_date((int) y, 1, 1)), m = 11;
        while (month_start[m] + (m > 1 && civil_is_leap((int) y)) > doy)
                m--;
        *ret_year = (int) y;
        *ret_month = m + 1;
        *ret_day = doy - month_start[m] - (m > 1 && civil_is_leap((int) y)) + 1;
}

/* The day (days from 1970-01-01) of the last Sunday of a month. */
static int64_t last_sunday(int year, int month) {
        int64_t last = civil_days_from_date(year, month, civil_month_days(year, month));
        /* 1970-01-01 was a Thursday: weekday 4, Sunday being 0 */
        return last - floor_mod(last + 4, 7);
}

/* Summer time from the last Sunday of March, 01:00 UTC, to the last
 * Sunday of October, 01:00 UTC (EU rule, since 1996), the same instant
 * everywhere in the EU: the test is on the UTC year, far from its ends. */
int civil_paris_offset(int64_t t) {
        int y, m, d;

        if (t < T_MIN || t > T_MAX)
                return CET;
        civil_date_from_days(floor_div(t, DAY), &y, &m, &d);
        int64_t start = last_sunday(y, 3) * DAY + 3600, end = last_sunday(y, 10) * DAY + 3600;
        return t >= start && t < end ? CEST : CET;
}

int civil_paris(int64_t t, struct civil_time *ret) {
        if (!ret)
                return -EINVAL;
        if (t < T_MIN || t > T_MAX)
                return -ERANGE;
        int offset = civil_paris_offset(t);
        int64_t local = t + offset, sod = floor_mod(local, DAY);
        int y, m, d;

        civil_date_from_days(floor_div(local, DAY), &y, &m, &d);
        if (y < CIVIL_YEAR_MIN || y > CIVIL_YEAR_MAX)
                return -ERANGE;
        *ret = (struct civil_time) {
                .year = y, .month = m, .day = d,
                .hour = (int) (sod / 3600), .minute = (int) (sod / 60 % 60), .second = (int) (sod % 60),
                .utc_offset = offset,
        };
        return 0;
}

/* The UTC instant of a Paris wall-clock time (seconds since the epoch
 * read as local time): summer time when that reading is summer time (the
 * first of a repeated hour), else winter time (a skipped hour so lands
 * an hour later). */
static int64_t paris_to_utc(int64_t wall) {
        return civil_paris_offset(wall - CEST) == CEST ? wall - CEST : wall - CET;
}

int civil_add_months(int64_t t, int months, int64_t *ret) {
        struct civil_time c;
        int r;

        if (!ret)
                return -EINVAL;
        if ((r = civil_paris(t, &c)) < 0)
                return r;
        int64_t total = (int64_t) c.year * 12 + (c.month - 1) + months, y = floor_div(total, 12);
        if (y < CIVIL_YEAR_MIN || y > CIVIL_YEAR_MAX)
                return -ERANGE;
        int m = (int) floor_mod(total, 12) + 1, days = civil_month_days((int) y, m);
        int d = c.day < days ? c.day : days;
        int64_t wall = civil_days_from_date((int) y, m, d) * DAY + c.hour * 3600 + c.minute * 60 + c.second;

        *ret = paris_to_utc(wall);
        return 0;
}
