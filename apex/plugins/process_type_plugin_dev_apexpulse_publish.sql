prompt --application/set_environment
set define off verify off feedback off
whenever sqlerror exit sql.sqlcode rollback
--------------------------------------------------------------------------------
--
-- Oracle APEX export file
--
-- You should run the script connected to SQL*Plus as the Oracle user
-- APEX_220100 or as the owner (parsing schema) of the application.
--
-- NOTE: Calls to apex_application_install override the defaults below.
--
-- apex-pulse plug-in "apex-pulse Publish" 1.0.0, written by apex/plugins/build.js
-- in the export format of APEX 22.1.0; imports into APEX 22.1 and later.
--
--------------------------------------------------------------------------------
begin
wwv_flow_imp.import_begin (
 p_version_yyyy_mm_dd=>'2022.04.12'
,p_release=>'22.1.0'
,p_default_workspace_id=>1299645855268436
,p_default_application_id=>100
,p_default_id_offset=>0
,p_default_owner=>'PULSE'
);
end;
/
 
prompt APPLICATION 100 - apex-pulse
--
-- Application Export:
--   Application:     100
--   Name:            apex-pulse
--   Exported By:     apex/plugins/build.js
--   Flashback:       0
--   Export Type:     Component Export
--   Manifest
--     PLUGIN: 1750394126167235
--   Manifest End
--   Version:         22.1.0
--
 
begin
  -- replace components
  wwv_flow_imp.g_mode := 'REPLACE';
end;
/
prompt --application/shared_components/plugins/process_type/dev_apexpulse_publish
begin
wwv_flow_imp_shared.create_plugin(
 p_id=>wwv_flow_imp.id(1750394126167235)
,p_plugin_type=>'PROCESS TYPE'
,p_name=>'DEV.APEXPULSE.PUBLISH'
,p_display_name=>'apex-pulse Publish'
,p_supported_ui_types=>'DESKTOP'
,p_supported_component_types=>'APEX_APPLICATION_PAGE_PROC'
,p_plsql_code=>wwv_flow_string.join(wwv_flow_t_varchar2(
'-- apex-pulse Publish (Process): queues a message with pulse_pkg.publish in the',
'-- page''s transaction: it goes out after the page''s commit, never after a',
'-- rollback. The data is a JSON object of page items, or the JSON value the',
'-- first column of the first row of a SQL query holds.',
'function execute_process(',
'  p_process in apex_plugin.t_process,',
'  p_plugin  in apex_plugin.t_plugin)',
'  return apex_plugin.t_process_exec_result',
'is',
'  l_result  apex_plugin.t_process_exec_result;',
'  l_data    clob;',
'  l_object  json_object_t;',
'  l_items   apex_t_varchar2;',
'  l_item    varchar2(255);',
'  l_context apex_exec.t_context;',
'begin',
'  if p_process.attribute_02 = ''SQL'' then',
'    -- apex_exec binds the page items the query names',
'    l_context := apex_exec.open_query_context(',
'                   p_location  => apex_exec.c_location_local_db,',
'                   p_sql_query => p_process.attribute_04);',
'    begin',
'      if apex_exec.next_row(l_context) then',
'        l_data := apex_exec.get_clob(l_context, 1);',
'      end if;',
'      apex_exec.close(l_context);',
'    exception',
'      when others then',
'        apex_exec.close(l_context);',
'        raise;',
'    end;',
'  else',
'    -- {"p1_total":"42","p1_status":"NEW"}: item names in lower case, values as text',
'    l_object := json_object_t();',
'    l_items := apex_string.split(p_process.attribute_03, '','');',
'    for i in 1 .. l_items.count loop',
'      l_item := upper(trim(l_items(i)));',
'      if l_item is not null then',
'        l_object.put(lower(l_item), v(l_item));',
'      end if;',
'    end loop;',
'    l_data := l_object.to_clob();',
'  end if;',
'  -- no data (a query without rows) fails here with -20003, as does data that is not JSON',
'  pulse_pkg.publish(v(''APP_ID''), p_process.attribute_01, l_data);',
'  return l_result;',
'end execute_process;'))
,p_api_version=>1
,p_execution_function=>'execute_process'
,p_substitute_attributes=>true
,p_subscribe_plugin_settings=>true
,p_help_text=>wwv_flow_string.join(wwv_flow_t_varchar2(
'Publishes a message to an apex-pulse channel with pulse_pkg.publish, in the page''s transaction: it',
'goes out after the page commits, never after a rollback. The data is a JSON object of page items,',
'or the JSON value a SQL query returns. Needs execute on pulse_pkg for the parsing schema.'))
,p_version_identifier=>'1.0.0'
);
wwv_flow_imp_shared.create_plugin_attribute(
 p_id=>wwv_flow_imp.id(1904772625900223)
,p_plugin_id=>wwv_flow_imp.id(1750394126167235)
,p_attribute_scope=>'COMPONENT'
,p_attribute_sequence=>1
,p_display_sequence=>10
,p_prompt=>'Channel'
,p_attribute_type=>'TEXT'
,p_is_required=>true
,p_display_length=>60
,p_max_length=>255
,p_is_translatable=>false
,p_examples=>wwv_flow_string.join(wwv_flow_t_varchar2(
'dashboard/orders',
'chat/room/&P2_ROOM.'))
,p_help_text=>'The channel to publish to; substitutions (&ITEM.) are replaced on the server.'
);
wwv_flow_imp_shared.create_plugin_attribute(
 p_id=>wwv_flow_imp.id(1722240762935054)
,p_plugin_id=>wwv_flow_imp.id(1750394126167235)
,p_attribute_scope=>'COMPONENT'
,p_attribute_sequence=>2
,p_display_sequence=>20
,p_prompt=>'Data From'
,p_attribute_type=>'SELECT LIST'
,p_is_required=>true
,p_default_value=>'ITEMS'
,p_is_translatable=>false
,p_lov_type=>'STATIC'
,p_help_text=>wwv_flow_string.join(wwv_flow_t_varchar2(
'Page Items: {"p1_total":"42",...} (item names in lower case, values as text).',
'SQL Query: the JSON value in the first column of the first row.'))
);
wwv_flow_imp_shared.create_plugin_attr_value(
 p_id=>wwv_flow_imp.id(1508089190308959)
,p_plugin_attribute_id=>wwv_flow_imp.id(1722240762935054)
,p_display_sequence=>10
,p_display_value=>'Page Items'
,p_return_value=>'ITEMS'
);
wwv_flow_imp_shared.create_plugin_attr_value(
 p_id=>wwv_flow_imp.id(1248309789407624)
,p_plugin_attribute_id=>wwv_flow_imp.id(1722240762935054)
,p_display_sequence=>20
,p_display_value=>'SQL Query'
,p_return_value=>'SQL'
);
wwv_flow_imp_shared.create_plugin_attribute(
 p_id=>wwv_flow_imp.id(1454073672522684)
,p_plugin_id=>wwv_flow_imp.id(1750394126167235)
,p_attribute_scope=>'COMPONENT'
,p_attribute_sequence=>3
,p_display_sequence=>30
,p_prompt=>'Page Items'
,p_attribute_type=>'PAGE ITEMS'
,p_is_required=>true
,p_is_translatable=>false
,p_depending_on_attribute_id=>wwv_flow_imp.id(1722240762935054)
,p_depending_on_has_to_exist=>true
,p_depending_on_condition_type=>'EQUALS'
,p_depending_on_expression=>'ITEMS'
,p_help_text=>'The items whose values make up the message.'
);
wwv_flow_imp_shared.create_plugin_attribute(
 p_id=>wwv_flow_imp.id(1630585912952653)
,p_plugin_id=>wwv_flow_imp.id(1750394126167235)
,p_attribute_scope=>'COMPONENT'
,p_attribute_sequence=>4
,p_display_sequence=>40
,p_prompt=>'SQL Query'
,p_attribute_type=>'SQL'
,p_is_required=>true
,p_sql_min_column_count=>1
,p_sql_max_column_count=>1
,p_is_translatable=>false
,p_depending_on_attribute_id=>wwv_flow_imp.id(1722240762935054)
,p_depending_on_has_to_exist=>true
,p_depending_on_condition_type=>'EQUALS'
,p_depending_on_expression=>'SQL'
,p_examples=>'select json_object(''orders'' value count(*)) from orders where status = :P1_STATUS'
,p_help_text=>wwv_flow_string.join(wwv_flow_t_varchar2(
'One column holding JSON (an object or an array); the first row is the message. Page items',
'are bound by name. No row: the process fails (-20003) and nothing is published.'))
);
end;
/
prompt --application/end_environment
begin
wwv_flow_imp.import_end(p_auto_install_sup_obj => nvl(wwv_flow_application_install.get_auto_install_sup_obj, false));
commit;
end;
/
set verify on feedback on define on
prompt  ...done
