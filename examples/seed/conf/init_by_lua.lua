--------------common-----------------------
cjson = require "cjson"
cjson_safe = require "cjson.safe"
bit = require "bit"
-- luuid = require "luuid"      -- luuid.so exists nowhere (not in Debian, not on LuaRocks): removed
netutil = require "netutil"
-- mysql = require "mysql"      -- the seed's own mysql.lua was never published with its README: removed
-- db_ml = require "db_ml"      -- the seed's private db_ml.lua was never published: removed
--...
