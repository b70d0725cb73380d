--------------------------------------------------------------------------------
-- apex-pulse PL/SQL kit: uninstall (SQL*Plus or SQLcl), re-runnable.
--
--   cd apex/sql
--   sql pulse/<password>@//dbhost/service @uninstall.sql
--
-- Drops the demo trigger and table (order_status_trigger.sql), the packages
-- and the tables, ignoring objects that do not exist. DESTRUCTIVE: queued
-- outbox rows, dead rows and the app secrets are gone afterwards.
--------------------------------------------------------------------------------
set define off
set feedback on
whenever sqlerror exit failure rollback

prompt apex-pulse: dropping objects
declare
  procedure drop_if_exists(p_ddl in varchar2) is
  begin
    execute immediate p_ddl;
  exception
    when others then
      -- ORA-00942 table or view does not exist, ORA-04043 object does not
      -- exist, ORA-04080 trigger does not exist
      if sqlcode not in (-942, -4043, -4080) then
        raise;
      end if;
  end drop_if_exists;
begin
  drop_if_exists('drop trigger pulse_demo_orders_status_trg');
  drop_if_exists('drop table pulse_demo_orders purge');
  drop_if_exists('drop package pulse_pkg');
  drop_if_exists('drop package auth_pkg');
  drop_if_exists('drop table pulse_outbox purge');
  drop_if_exists('drop table pulse_outbox_dead purge');
  drop_if_exists('drop table pulse_online purge');
  drop_if_exists('drop table pulse_online_node purge');
  drop_if_exists('drop table pulse_app_secret purge');
end;
/

whenever sqlerror continue none
prompt apex-pulse: uninstalled
