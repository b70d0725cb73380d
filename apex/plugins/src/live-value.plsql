-- apex-pulse Live Value (Region): a value a channel keeps current. render
-- writes the initial value and starts apexPulse.liveValue (apex-pulse-plugins.js);
-- ajax signs the page's token like the Listen action's.
function render(
  p_region              in apex_plugin.t_region,
  p_plugin              in apex_plugin.t_plugin,
  p_is_printer_friendly in boolean)
  return apex_plugin.t_region_render_result
is
  l_element_id varchar2(300) := p_region.static_id || '_value';
begin
  sys.htp.p('<span id="' || apex_escape.html_attribute(l_element_id)
    || '" class="apex-pulse-live-value">'
    || apex_plugin_util.replace_substitutions(p_region.attribute_03)
    || '</span>');
  apex_javascript.add_onload_code(
    p_code => 'apexPulse.liveValue({'
      || apex_javascript.add_attribute('elementId', l_element_id)
      || apex_javascript.add_attribute('channel', p_region.attribute_01)
      || apex_javascript.add_attribute('field', p_region.attribute_02)
      || apex_javascript.add_attribute('url', p_plugin.attribute_01)
      || apex_javascript.add_attribute('appId', v('APP_ID'))
      || apex_javascript.add_attribute('user', v('APP_USER'))
      || apex_javascript.add_attribute('pageId', v('APP_PAGE_ID'))
      || apex_javascript.add_attribute('ajaxIdentifier', apex_plugin.get_ajax_identifier, false, false)
      || '});');
  return null;
end render;

function ajax(
  p_region in apex_plugin.t_region,
  p_plugin in apex_plugin.t_plugin)
  return apex_plugin.t_region_ajax_result
is
  l_result apex_plugin.t_region_ajax_result;
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
