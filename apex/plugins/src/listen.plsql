-- apex-pulse Listen (Dynamic Action): render hands the action's settings to
-- apexPulse.listenAction (apex-pulse-plugins.js); ajax signs the page's token.
function render(
  p_dynamic_action in apex_plugin.t_dynamic_action,
  p_plugin         in apex_plugin.t_plugin)
  return apex_plugin.t_dynamic_action_render_result
is
  l_result apex_plugin.t_dynamic_action_render_result;
begin
  l_result.javascript_function := 'apexPulse.listenAction';
  l_result.ajax_identifier     := apex_plugin.get_ajax_identifier;
  -- the action's settings, unsubstituted: the browser replaces &NAME. when the action runs
  l_result.attribute_01 := p_dynamic_action.attribute_01;  -- channel
  l_result.attribute_02 := p_dynamic_action.attribute_02;  -- regions to refresh
  l_result.attribute_03 := p_dynamic_action.attribute_03;  -- items to set
  l_result.attribute_04 := p_dynamic_action.attribute_04;  -- message type
  l_result.attribute_05 := p_dynamic_action.attribute_05;  -- message text
  l_result.attribute_06 := p_dynamic_action.attribute_06;  -- fire the event
  l_result.attribute_07 := p_dynamic_action.attribute_07;  -- debounce (ms)
  l_result.attribute_08 := p_plugin.attribute_01;          -- gateway URL
  l_result.attribute_09 := v('APP_ID');
  l_result.attribute_10 := v('APP_USER');
  l_result.attribute_11 := v('APP_PAGE_ID');
  return l_result;
end render;

-- {"token":"..."} for the current APEX user, readable channels from the
-- component settings; {"error":...} for the public user, who connects
-- anonymously instead (apex-pulse-plugins.js never asks then).
function ajax(
  p_dynamic_action in apex_plugin.t_dynamic_action,
  p_plugin         in apex_plugin.t_plugin)
  return apex_plugin.t_dynamic_action_ajax_result
is
  l_result apex_plugin.t_dynamic_action_ajax_result;
begin
  apex_json.open_object;
  if v('APP_USER') is null or upper(v('APP_USER')) = 'NOBODY' then
    apex_json.write('error', 'not authenticated');
  else
    apex_json.write('token', auth_pkg.generate_token(
      p_app_id      => v('APP_ID'),
      p_user        => v('APP_USER'),
      p_sub_ch      => p_plugin.attribute_02,
      p_ttl_seconds => 900,
      p_name        => v('APP_USER')));
  end if;
  apex_json.close_object;
  return l_result;
end ajax;
