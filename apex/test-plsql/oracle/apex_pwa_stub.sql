--------------------------------------------------------------------------------
-- apex-pulse tests on a real Oracle (issue 20, PULSE_TEST_ORACLE_URL): an
-- apex_pwa stand-in that records pushes instead of sending them.
--
-- Install it in the kit's schema (never in production): pulse_pkg calls
-- apex_pwa dynamically with the owner's rights, so this package is found
-- before APEX's public synonym. The runner then calls pulse_pkg.notify_user
-- with and without a subscriber on user/<user> and reads pulse_test_push.
-- Same signature as APEX 23.1+ documents it.
--------------------------------------------------------------------------------
declare
  e_name_in_use exception;
  pragma exception_init(e_name_in_use, -955);
begin
  execute immediate q'[
    create table pulse_test_push (
      id               number generated always as identity primary key,
      application_id   number,
      user_name        varchar2(255),
      title            varchar2(4000),
      body             varchar2(4000),
      icon_url         varchar2(4000),
      target_url       varchar2(4000),
      pushed_at        timestamp default systimestamp
    )]';
exception
  when e_name_in_use then
    null;
end;
/

create or replace package apex_pwa authid definer as
  procedure send_push_notification(
    p_application_id in number   default null,
    p_user_name      in varchar2,
    p_title          in varchar2,
    p_body           in varchar2 default null,
    p_icon_url       in varchar2 default null,
    p_target_url     in varchar2 default null);
end apex_pwa;
/

create or replace package body apex_pwa as
  procedure send_push_notification(
    p_application_id in number   default null,
    p_user_name      in varchar2,
    p_title          in varchar2,
    p_body           in varchar2 default null,
    p_icon_url       in varchar2 default null,
    p_target_url     in varchar2 default null)
  is
  begin
    insert into pulse_test_push (application_id, user_name, title, body, icon_url, target_url)
    values (p_application_id, p_user_name, p_title, p_body, p_icon_url, p_target_url);
  end send_push_notification;
end apex_pwa;
/
