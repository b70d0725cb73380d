'use strict';
// The three plug-ins, as data: build.js writes each as an APEX 22.1 plug-in export
// (apex/plugins/*.sql). PL/SQL comes from src/*.plsql, browser files from src/ and apex/js.

// Component settings shared by the plug-ins that open a connection (Listen, Live Value).
const CONNECTION_SETTINGS = [
  {
    scope: 'APPLICATION', seq: 1, displaySeq: 10, prompt: 'Gateway URL', type: 'TEXT', required: true,
    displayLength: 60, maxLength: 1000,
    examples: ['wss://pulse.example.com/ws', 'ws://localhost:8080/ws (try it locally)'],
    help: [
      'The WebSocket URL of the apex-pulse gateway, as the browsers reach it (wss:// in production).',
      'Set the same value in every apex-pulse plug-in of the application: a page opens one connection per URL.',
    ],
  },
  {
    scope: 'APPLICATION', seq: 2, displaySeq: 20, prompt: 'Readable Channels', type: 'TEXT', required: true,
    default: 'user/{sub}', displayLength: 60, maxLength: 4000,
    examples: ['dashboard/**,site/online,user/{sub}'],
    help: [
      'The channels the pages of this application may subscribe to: the sub_ch grant of the token the',
      'plug-in signs for the APEX user (auth_pkg.generate_token). Comma-separated patterns: * is one segment,',
      '** the rest, {sub} the user. Grant the least: user/{sub} rather than user/**, never ** in production.',
    ],
  },
];

const FILES = [
  { name: 'pulse.min.js', source: '../js/pulse.min.js', mime: 'text/javascript' },
  { name: 'apex-pulse-plugins.js', source: 'src/apex-pulse-plugins.js', mime: 'text/javascript' },
];
const FILE_URLS = ['#PLUGIN_FILES#pulse.min.js', '#PLUGIN_FILES#apex-pulse-plugins.js'];

const LISTEN = {
  file: 'dynamic_action_plugin_dev_apexpulse_listen.sql',
  type: 'DYNAMIC ACTION',
  name: 'DEV.APEXPULSE.LISTEN',
  displayName: 'apex-pulse Listen',
  category: 'EXECUTE',
  plsql: 'src/listen.plsql',
  renderFunction: 'render',
  ajaxFunction: 'ajax',
  standardAttributes: 'ONLOAD',
  substituteAttributes: false,
  files: FILES,
  javascriptFileUrls: FILE_URLS,
  help: [
    'Listens to an apex-pulse channel for as long as the page is open and reacts to every message:',
    'refreshes regions, sets page items from fields of the message, shows a page message and/or fires',
    'the event "apex-pulse Message" (this.data = {channel, offset, data, from}). Use it on Page Load.',
    'One connection per page, shared by every apex-pulse action and region; it reconnects, refreshes its',
    'token and replays missed messages by itself.',
  ],
  attributes: [
    ...CONNECTION_SETTINGS,
    {
      scope: 'COMPONENT', seq: 1, displaySeq: 10, prompt: 'Channel', type: 'TEXT', required: true,
      displayLength: 60, maxLength: 255,
      examples: ['dashboard/orders', 'user/&APP_USER.', 'dashboard/department/&P1_DEPTNO.'],
      help: [
        'The channel to listen to. &APP_USER., &APP_ID., &APP_PAGE_ID. and &ITEM. (any page item) are',
        'replaced in the browser when the action runs, with the item\'s current value. To follow an item,',
        'put the action on the item\'s Change event with Fire on Initialization: each run moves the subscription.',
      ],
    },
    {
      scope: 'COMPONENT', seq: 2, displaySeq: 20, prompt: 'Refresh Regions', type: 'TEXT', required: false,
      displayLength: 60, maxLength: 4000, examples: ['ORDERS_CHART,ORDERS_REPORT'],
      help: ['Static IDs of the regions to refresh on a message, comma-separated (also after a reconnect',
        'that could not replay what was missed).'],
    },
    {
      scope: 'COMPONENT', seq: 3, displaySeq: 30, prompt: 'Set Items', type: 'TEXT', required: false,
      displayLength: 60, maxLength: 4000, examples: ['P1_TOTAL=total,P1_FIRST=rows.0.orders,P1_RAW=.'],
      help: ['ITEM=field pairs, comma-separated: the item gets that field of the message (a dotted path;',
        '. for the whole message). Fields a message does not have leave the item alone.'],
    },
    {
      scope: 'COMPONENT', seq: 4, displaySeq: 40, prompt: 'Show Message', type: 'SELECT LIST', required: false,
      lovType: 'STATIC', nullText: 'No',
      values: [{ display: 'Success', ret: 'SUCCESS' }, { display: 'Error', ret: 'ERROR' }],
      help: ['Shows each message as a page success or error message (HTML-escaped).'],
    },
    {
      scope: 'COMPONENT', seq: 5, displaySeq: 50, prompt: 'Message Text', type: 'TEXT', required: false,
      displayLength: 60, maxLength: 4000, dependsOn: { seq: 4, condition: 'NOT_NULL' },
      examples: ['Order #order# is now #status#'],
      help: ['#field# is replaced by that field of the message. Empty: the message itself when it is',
        'text, else its message, text or title field.'],
    },
    {
      scope: 'COMPONENT', seq: 6, displaySeq: 60, prompt: 'Fire Event', type: 'CHECKBOX', required: false,
      help: ['Fires the event "apex-pulse Message" on the page body for each message: react with Dynamic',
        'Actions on it (When > Event: apex-pulse Message; Selection: JavaScript Expression document).'],
    },
    {
      scope: 'COMPONENT', seq: 7, displaySeq: 70, prompt: 'Debounce (ms)', type: 'INTEGER', required: false,
      default: '250', displayLength: 6, maxLength: 6,
      help: ['A burst of messages closer together than this is handled once, with the last message, at most',
        'max(4 x this, 1 s) late. 0: every message.'],
    },
  ],
  events: [{ name: 'apexpulse-message', displayName: 'apex-pulse Message' }],
};

const PUBLISH = {
  file: 'process_type_plugin_dev_apexpulse_publish.sql',
  type: 'PROCESS TYPE',
  name: 'DEV.APEXPULSE.PUBLISH',
  displayName: 'apex-pulse Publish',
  supportedComponentTypes: 'APEX_APPLICATION_PAGE_PROC',
  plsql: 'src/publish.plsql',
  executionFunction: 'execute_process',
  substituteAttributes: true,
  files: [],
  help: [
    'Publishes a message to an apex-pulse channel with pulse_pkg.publish, in the page\'s transaction: it',
    'goes out after the page commits, never after a rollback. The data is a JSON object of page items,',
    'or the JSON value a SQL query returns. Needs execute on pulse_pkg for the parsing schema.',
  ],
  attributes: [
    {
      scope: 'COMPONENT', seq: 1, displaySeq: 10, prompt: 'Channel', type: 'TEXT', required: true,
      displayLength: 60, maxLength: 255, examples: ['dashboard/orders', 'chat/room/&P2_ROOM.'],
      help: ['The channel to publish to; substitutions (&ITEM.) are replaced on the server.'],
    },
    {
      scope: 'COMPONENT', seq: 2, displaySeq: 20, prompt: 'Data From', type: 'SELECT LIST', required: true,
      default: 'ITEMS', lovType: 'STATIC',
      values: [{ display: 'Page Items', ret: 'ITEMS' }, { display: 'SQL Query', ret: 'SQL' }],
      help: ['Page Items: {"p1_total":"42",...} (item names in lower case, values as text).',
        'SQL Query: the JSON value in the first column of the first row.'],
    },
    {
      scope: 'COMPONENT', seq: 3, displaySeq: 30, prompt: 'Page Items', type: 'PAGE ITEMS', required: true,
      dependsOn: { seq: 2, condition: 'EQUALS', expression: 'ITEMS' },
      help: ['The items whose values make up the message.'],
    },
    {
      scope: 'COMPONENT', seq: 4, displaySeq: 40, prompt: 'SQL Query', type: 'SQL', required: true,
      sqlMinColumns: 1, sqlMaxColumns: 1, dependsOn: { seq: 2, condition: 'EQUALS', expression: 'SQL' },
      examples: ['select json_object(\'orders\' value count(*)) from orders where status = :P1_STATUS'],
      help: ['One column holding JSON (an object or an array); the first row is the message. Page items',
        'are bound by name. No row: the process fails (-20003) and nothing is published.'],
    },
  ],
  events: [],
};

const LIVE_VALUE = {
  file: 'region_type_plugin_dev_apexpulse_live_value.sql',
  type: 'REGION TYPE',
  name: 'DEV.APEXPULSE.LIVE_VALUE',
  displayName: 'apex-pulse Live Value',
  plsql: 'src/live-value.plsql',
  renderFunction: 'render',
  ajaxFunction: 'ajax',
  substituteAttributes: false,
  files: FILES,
  javascriptFileUrls: FILE_URLS,
  help: [
    'A number or text that a channel keeps current (a dashboard tile): shows the initial value, then the',
    'chosen field of every message on the channel. Shares the page\'s apex-pulse connection.',
  ],
  attributes: [
    ...CONNECTION_SETTINGS,
    {
      scope: 'COMPONENT', seq: 1, displaySeq: 10, prompt: 'Channel', type: 'TEXT', required: true,
      displayLength: 60, maxLength: 255, examples: ['dashboard/orders'],
      help: ['The channel; &APP_USER., &APP_ID., &APP_PAGE_ID. and &ITEM. are replaced in the browser.'],
    },
    {
      scope: 'COMPONENT', seq: 2, displaySeq: 20, prompt: 'Field', type: 'TEXT', required: false,
      displayLength: 40, maxLength: 255, examples: ['total', 'rows.0.orders'],
      help: ['The field of the message to show (a dotted path). Empty: the whole message.'],
    },
    {
      scope: 'COMPONENT', seq: 3, displaySeq: 30, prompt: 'Initial Value', type: 'TEXT', required: false,
      displayLength: 40, maxLength: 4000, examples: ['&P1_TOTAL_ORDERS.'],
      help: ['Shown until the first message arrives; substitutions are replaced (HTML-escaped) on the server.'],
    },
  ],
  events: [],
};

module.exports = { PLUGINS: [LISTEN, PUBLISH, LIVE_VALUE] };
