-- apex-pulse Publish (Process): queues a message with pulse_pkg.publish in the
-- page's transaction: it goes out after the page's commit, never after a
-- rollback. The data is a JSON object of page items, or the JSON value the
-- first column of the first row of a SQL query holds.
function execute_process(
  p_process in apex_plugin.t_process,
  p_plugin  in apex_plugin.t_plugin)
  return apex_plugin.t_process_exec_result
is
  l_result  apex_plugin.t_process_exec_result;
  l_data    clob;
  l_object  json_object_t;
  l_items   apex_t_varchar2;
  l_item    varchar2(255);
  l_context apex_exec.t_context;
begin
  if p_process.attribute_02 = 'SQL' then
    -- apex_exec binds the page items the query names
    l_context := apex_exec.open_query_context(
                   p_location  => apex_exec.c_location_local_db,
                   p_sql_query => p_process.attribute_04);
    begin
      if apex_exec.next_row(l_context) then
        l_data := apex_exec.get_clob(l_context, 1);
      end if;
      apex_exec.close(l_context);
    exception
      when others then
        apex_exec.close(l_context);
        raise;
    end;
  else
    -- {"p1_total":"42","p1_status":"NEW"}: item names in lower case, values as text
    l_object := json_object_t();
    l_items := apex_string.split(p_process.attribute_03, ',');
    for i in 1 .. l_items.count loop
      l_item := upper(trim(l_items(i)));
      if l_item is not null then
        l_object.put(lower(l_item), v(l_item));
      end if;
    end loop;
    l_data := l_object.to_clob();
  end if;
  -- no data (a query without rows) fails here with -20003, as does data that is not JSON
  pulse_pkg.publish(v('APP_ID'), p_process.attribute_01, l_data);
  return l_result;
end execute_process;
