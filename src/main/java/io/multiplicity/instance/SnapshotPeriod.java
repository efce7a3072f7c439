package io.multiplicity.instance;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;

/** The periods of scheduled snapshots: one snapshot per period (UTC), the newest {@code keep} kept. */
public enum SnapshotPeriod {
    HOURLY("hourly"),
    DAILY("daily"),
    WEEKLY("weekly");

    private final String label;

    SnapshotPeriod(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** When the period holding {@code now} began: the hour, the day, or Monday 00:00, in UTC. */
    public Instant start(Instant now) {
        return switch (this) {
            case HOURLY -> now.truncatedTo(ChronoUnit.HOURS);
            case DAILY -> now.truncatedTo(ChronoUnit.DAYS);
            case WEEKLY -> now.atOffset(ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS)
                    .with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY)).toInstant();
        };
    }

    /** How many of this period's snapshots the schedule keeps. */
    public int keep(SnapshotSchedule schedule) {
        return switch (this) {
            case HOURLY -> schedule.hourly;
            case DAILY -> schedule.daily;
            case WEEKLY -> schedule.weekly;
        };
    }
}
