-- Whether a firewall's rules also filter what the other instances of its tenant network open to an
-- instance it is applied to: 'open' (the default: traffic inside a tenant network passes) or
-- 'filtered' (new connections from inside pass only where a rule allows, like those from outside).
alter table firewalls add column inside text not null default 'open'
    constraint firewalls_inside check (inside in ('open', 'filtered'));
