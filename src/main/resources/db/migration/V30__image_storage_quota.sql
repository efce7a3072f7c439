-- An image-bytes quota: what a tenant's private image versions hold in the pool (their unpacked
-- bytes), in MiB. The standard plan allows 20 GiB.
alter table plans add column max_image_mib bigint check (max_image_mib >= 0);
alter table tenant_quotas add column max_image_mib bigint check (max_image_mib >= 0);
update plans set max_image_mib = 20480 where name = 'standard';
