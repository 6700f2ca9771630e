/* lib/civil-time.h: the French civil calendar, for durations the law
 * counts in months and years (docs/rules.md §3, §4).
 *
 * The civil date is metropolitan France's: Europe/Paris, CET (UTC+1) and,
 * from the last Sunday of March at 01:00 UTC to the last Sunday of
 * October at 01:00 UTC, CEST (UTC+2): the EU rule in force since 1996,
 * applied to every year.  The overseas departments, on other time zones,
 * are not modelled: the national host keeps metropolitan time.
 *
 * Plain arithmetic on the proleptic Gregorian calendar (days counted
 * from 1970-01-01), never TZ nor localtime(): a library must not change
 * the process's time zone, and a hardened service may have no tzdata.
 * Instants are seconds since the epoch, UTC; the years handled are 1 to
 * 9999, anything outside is -ERANGE. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define CIVIL_YEAR_MIN 1
#define CIVIL_YEAR_MAX 9999

/* A wall-clock time in Paris. */
struct civil_time {
        int year, month, day;           /* month 1 to 12, day 1 to 31 */
        int hour, minute, second;
        int utc_offset;                 /* seconds east of UTC: 3600 (CET) or 7200 (CEST) */
};

bool civil_is_leap(int year);
/* The days of a month (1 to 12) of a year; 0 for a month out of range. */
int civil_month_days(int year, int month);
/* Days from 1970-01-01 to a date (negative before), and back; the date
 * is not checked (day 0 is the last of the month before). */
int64_t civil_days_from_date(int year, int month, int day);
void civil_date_from_days(int64_t days, int *ret_year, int *ret_month, int *ret_day);

/* Paris's offset from UTC at the instant t, in seconds (3600 or 7200). */
int civil_paris_offset(int64_t t);

/* The wall-clock time in Paris at t: 0, or -ERANGE (-EINVAL without ret). */
int civil_paris(int64_t t, struct civil_time *ret);

/* The instant months calendar months after t (before, when negative):
 * the same wall-clock time in Paris on the same day of the month, the day
 * brought back to the month's last when the month is shorter (31 January
 * + 1 month: 28 or 29 February), as Code de procédure civile art. 641
 * counts a time limit in months.  A wall-clock time that the spring
 * switch skips (02:00 to 03:00) is taken an hour later; one that the
 * autumn switch repeats, at its first occurrence (summer time).
 * 0 and *ret, or -ERANGE (-EINVAL without ret). */
int civil_add_months(int64_t t, int months, int64_t *ret);
