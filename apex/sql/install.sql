--------------------------------------------------------------------------------
-- apex-pulse PL/SQL kit: install (SQL*Plus or SQLcl), re-runnable.
--
--   cd apex/sql
--   sql pulse/<password>@//dbhost/service @install.sql
--
-- Creates the tables if they are missing (existing tables and their rows are
-- kept) and (re)creates the packages. Stops at the first SQL error and fails
-- if a package does not compile (for example without execute on dbms_crypto).
-- Then: register your app in pulse_app_secret and grant execute on the
-- packages to the APEX parsing schema (see pulse_schema.sql), never select on
-- pulse_app_secret.
--
-- Not installed here (examples): apex_ajax_token.sql (an APEX Ajax Callback
-- body) and order_status_trigger.sql (a demo table and trigger).
--------------------------------------------------------------------------------
set define off
set feedback on
whenever sqlerror exit failure rollback

prompt apex-pulse: tables
@@pulse_schema.sql

prompt apex-pulse: auth_pkg (tokens)
@@auth_pkg.pks
@@auth_pkg.pkb

prompt apex-pulse: pulse_pkg (publish)
@@pulse_pkg.pks
@@pulse_pkg.pkb

prompt apex-pulse: checking the packages compiled
declare
  l_invalid varchar2(4000);
begin
  select listagg(object_type || ' ' || object_name, ', ')
           within group (order by object_name, object_type)
    into l_invalid
    from user_objects
   where object_name in ('AUTH_PKG', 'PULSE_PKG')
     and status <> 'VALID';
  if l_invalid is not null then
    raise_application_error(-20000,
      'apex-pulse install: invalid after compilation: ' || l_invalid
      || ' (see user_errors; auth_pkg needs execute on sys.dbms_crypto granted directly)');
  end if;
end;
/

whenever sqlerror continue none
prompt apex-pulse: installed
