import { del, get, post, put, segment, type Operation, type Schema } from './client';

export type Snapshot = Schema<'SnapshotView'>;

/** How many snapshots of each period the schedule keeps (0: none). */
export type SnapshotSchedule = Schema<'ScheduleView'>;

export const getSnapshotSchedule = (instanceId: string) =>
  get<SnapshotSchedule>(`/instances/${segment(instanceId)}/snapshot-schedule`);

export const setSnapshotSchedule = (instanceId: string, schedule: SnapshotSchedule) =>
  put<SnapshotSchedule>(`/instances/${segment(instanceId)}/snapshot-schedule`,
    { hourly: schedule.hourly, daily: schedule.daily, weekly: schedule.weekly });

export const listSnapshots = (instanceId: string) =>
  get<Schema<'ItemsSnapshotView'>>(`/instances/${segment(instanceId)}/snapshots`);

export const createSnapshot = (instanceId: string, name: string) =>
  post<Operation>(`/instances/${segment(instanceId)}/snapshot`, { name });

export const deleteSnapshot = (instanceId: string, snapshot: string) =>
  del<Operation>(`/instances/${segment(instanceId)}/snapshots/${segment(snapshot)}`);

export const rollbackSnapshot = (instanceId: string, snapshot: string) =>
  post<Operation>(`/instances/${segment(instanceId)}/rollback`, { name: snapshot });
