-- A provider image's name is unique per kind: the Debian VM image is "debian" beside the Debian jail
-- image "debian", and a reference is resolved by name and the instance's kind.
drop index images_provider_name;
create unique index images_provider_name_kind on images (name, kind) where tenant_id is null and deleted_at is null;

-- The built-in Debian VM image was registered under its dataset name; it joins the catalog as
-- "debian" (references to "debian-vm" keep resolving through the dataset name of built-in images).
update images set name = 'debian', updated_at = now()
 where tenant_id is null and built_in and deleted_at is null and kind = 'vm' and name = 'debian-vm'
   and storage_key = 'debian-vm'
   and not exists (select 1 from images other where other.tenant_id is null and other.deleted_at is null
                   and other.kind = 'vm' and other.name = 'debian');
