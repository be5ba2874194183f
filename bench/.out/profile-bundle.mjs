// stub:cloudflare-workers
var WorkerEntrypoint = class {
};

// wasm:/work/main/build/index_bg.wasm
import { readFileSync } from "node:fs";
var index_bg_default = new WebAssembly.Module(readFileSync("/work/main/build/index_bg.wasm"));

// ../work/main/build/index.js
var H = globalThis.__worker_init_state = { criticalError: false, instanceId: 0 };
var v = class {
  __destroy_into_raw() {
    let e = this.__wbg_ptr;
    return this.__wbg_ptr = 0, be.unregister(this), e;
  }
  free() {
    let e = this.__destroy_into_raw();
    s();
    try {
      _.__wbg_containerstartupoptions_free(e, 0);
    } catch (t) {
      o(t);
    }
  }
  get enableInternet() {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    let e;
    s();
    try {
      e = _.__wbg_get_containerstartupoptions_enableInternet(this.__wbg_ptr);
    } catch (t) {
      o(t);
    }
    return e === 16777215 ? void 0 : e !== 0;
  }
  get entrypoint() {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    let e;
    s();
    try {
      e = _.__wbg_get_containerstartupoptions_entrypoint(this.__wbg_ptr);
    } catch (r) {
      o(r);
    }
    var t = pe(e[0], e[1]);
    return _.__wbindgen_free(e[0], e[1] * 4, 4), t;
  }
  get env() {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    let e;
    s();
    try {
      e = _.__wbg_get_containerstartupoptions_env(this.__wbg_ptr);
    } catch (t) {
      o(t);
    }
    return e;
  }
  set enableInternet(e) {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    s();
    try {
      _.__wbg_set_containerstartupoptions_enableInternet(this.__wbg_ptr, f(e) ? 16777215 : e ? 1 : 0);
    } catch (t) {
      o(t);
    }
  }
  set entrypoint(e) {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    let t = me(e, _.__wbindgen_malloc), r = y;
    s();
    try {
      _.__wbg_set_containerstartupoptions_entrypoint(this.__wbg_ptr, t, r);
    } catch (i) {
      o(i);
    }
  }
  set env(e) {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    s();
    try {
      _.__wbg_set_containerstartupoptions_env(this.__wbg_ptr, e);
    } catch (t) {
      o(t);
    }
  }
};
Symbol.dispose && (v.prototype[Symbol.dispose] = v.prototype.free);
var k = class {
  __destroy_into_raw() {
    let e = this.__wbg_ptr;
    return this.__wbg_ptr = 0, ge.unregister(this), e;
  }
  free() {
    let e = this.__destroy_into_raw();
    s();
    try {
      _.__wbg_intounderlyingbytesource_free(e, 0);
    } catch (t) {
      o(t);
    }
  }
  get autoAllocateChunkSize() {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    let e;
    s();
    try {
      e = _.intounderlyingbytesource_autoAllocateChunkSize(this.__wbg_ptr);
    } catch (t) {
      o(t);
    }
    return e >>> 0;
  }
  cancel() {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    let e = this.__destroy_into_raw();
    s();
    try {
      _.intounderlyingbytesource_cancel(e);
    } catch (t) {
      o(t);
    }
  }
  pull(e) {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    let t;
    s();
    try {
      t = _.intounderlyingbytesource_pull(this.__wbg_ptr, e);
    } catch (r) {
      o(r);
    }
    return t;
  }
  start(e) {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    s();
    try {
      _.intounderlyingbytesource_start(this.__wbg_ptr, e);
    } catch (t) {
      o(t);
    }
  }
  get type() {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    let e;
    s();
    try {
      e = _.intounderlyingbytesource_type(this.__wbg_ptr);
    } catch (t) {
      o(t);
    }
    return ue[e];
  }
};
Symbol.dispose && (k.prototype[Symbol.dispose] = k.prototype.free);
var A = class {
  __destroy_into_raw() {
    let e = this.__wbg_ptr;
    return this.__wbg_ptr = 0, de.unregister(this), e;
  }
  free() {
    let e = this.__destroy_into_raw();
    s();
    try {
      _.__wbg_intounderlyingsink_free(e, 0);
    } catch (t) {
      o(t);
    }
  }
  abort(e) {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    let t = this.__destroy_into_raw(), r;
    s();
    try {
      r = _.intounderlyingsink_abort(t, e);
    } catch (i) {
      o(i);
    }
    return r;
  }
  close() {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    let e = this.__destroy_into_raw(), t;
    s();
    try {
      t = _.intounderlyingsink_close(e);
    } catch (r) {
      o(r);
    }
    return t;
  }
  write(e) {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    let t;
    s();
    try {
      t = _.intounderlyingsink_write(this.__wbg_ptr, e);
    } catch (r) {
      o(r);
    }
    return t;
  }
};
Symbol.dispose && (A.prototype[Symbol.dispose] = A.prototype.free);
var S = class {
  __destroy_into_raw() {
    let e = this.__wbg_ptr;
    return this.__wbg_ptr = 0, le.unregister(this), e;
  }
  free() {
    let e = this.__destroy_into_raw();
    s();
    try {
      _.__wbg_intounderlyingsource_free(e, 0);
    } catch (t) {
      o(t);
    }
  }
  cancel() {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    let e = this.__destroy_into_raw();
    s();
    try {
      _.intounderlyingsource_cancel(e);
    } catch (t) {
      o(t);
    }
  }
  pull(e) {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    let t;
    s();
    try {
      t = _.intounderlyingsource_pull(this.__wbg_ptr, e);
    } catch (r) {
      o(r);
    }
    return t;
  }
};
Symbol.dispose && (S.prototype[Symbol.dispose] = S.prototype.free);
var x = class {
  __destroy_into_raw() {
    let e = this.__wbg_ptr;
    return this.__wbg_ptr = 0, we.unregister(this), e;
  }
  free() {
    let e = this.__destroy_into_raw();
    s();
    try {
      _.__wbg_minifyconfig_free(e, 0);
    } catch (t) {
      o(t);
    }
  }
  get css() {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    let e;
    s();
    try {
      e = _.__wbg_get_minifyconfig_css(this.__wbg_ptr);
    } catch (t) {
      o(t);
    }
    return e !== 0;
  }
  get html() {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    let e;
    s();
    try {
      e = _.__wbg_get_minifyconfig_html(this.__wbg_ptr);
    } catch (t) {
      o(t);
    }
    return e !== 0;
  }
  get js() {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    let e;
    s();
    try {
      e = _.__wbg_get_minifyconfig_js(this.__wbg_ptr);
    } catch (t) {
      o(t);
    }
    return e !== 0;
  }
  set css(e) {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    s();
    try {
      _.__wbg_set_minifyconfig_css(this.__wbg_ptr, e);
    } catch (t) {
      o(t);
    }
  }
  set html(e) {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    s();
    try {
      _.__wbg_set_minifyconfig_html(this.__wbg_ptr, e);
    } catch (t) {
      o(t);
    }
  }
  set js(e) {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    s();
    try {
      _.__wbg_set_minifyconfig_js(this.__wbg_ptr, e);
    } catch (t) {
      o(t);
    }
  }
};
Symbol.dispose && (x.prototype[Symbol.dispose] = x.prototype.free);
var I = class {
  __destroy_into_raw() {
    let e = this.__wbg_ptr;
    return this.__wbg_ptr = 0, ye.unregister(this), e;
  }
  free() {
    let e = this.__destroy_into_raw();
    s();
    try {
      _.__wbg_r2range_free(e, 0);
    } catch (t) {
      o(t);
    }
  }
  get length() {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    let e;
    s();
    try {
      e = _.__wbg_get_r2range_length(this.__wbg_ptr);
    } catch (t) {
      o(t);
    }
    return e[0] === 0 ? void 0 : e[1];
  }
  get offset() {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    let e;
    s();
    try {
      e = _.__wbg_get_r2range_offset(this.__wbg_ptr);
    } catch (t) {
      o(t);
    }
    return e[0] === 0 ? void 0 : e[1];
  }
  get suffix() {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    let e;
    s();
    try {
      e = _.__wbg_get_r2range_suffix(this.__wbg_ptr);
    } catch (t) {
      o(t);
    }
    return e[0] === 0 ? void 0 : e[1];
  }
  set length(e) {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    s();
    try {
      _.__wbg_set_r2range_length(this.__wbg_ptr, !f(e), f(e) ? 0 : e);
    } catch (t) {
      o(t);
    }
  }
  set offset(e) {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    s();
    try {
      _.__wbg_set_r2range_offset(this.__wbg_ptr, !f(e), f(e) ? 0 : e);
    } catch (t) {
      o(t);
    }
  }
  set suffix(e) {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    s();
    try {
      _.__wbg_set_r2range_suffix(this.__wbg_ptr, !f(e), f(e) ? 0 : e);
    } catch (t) {
      o(t);
    }
  }
};
Symbol.dispose && (I.prototype[Symbol.dispose] = I.prototype.free);
function z() {
  c++, m = null, F = null, R = null, typeof numBytesDecoded < "u" && (numBytesDecoded = 0), typeof y < "u" && (y = 0), B = false, M = false, q = new WebAssembly.Instance(index_bg_default, oe()), _ = q.exports, _.__wbindgen_start();
}
function Q() {
  let n;
  s();
  try {
    n = _.__worker_init_state();
  } catch (e) {
    o(e);
  }
  return n;
}
function X() {
  let n;
  s();
  try {
    n = _.edgegate_body_budget();
  } catch (e) {
    o(e);
  }
  return n;
}
function Y(n, e, t) {
  let r;
  s();
  try {
    r = _.edgegate_fetch(n, e, t);
  } catch (i) {
    o(i);
  }
  return r;
}
function Z(n, e, t) {
  let r;
  s();
  try {
    r = _.edgegate_fetch_streamed(n, e, t);
  } catch (i) {
    o(i);
  }
  return r;
}
function ee(n) {
  s();
  try {
    _.edgegate_init(n);
  } catch (e) {
    o(e);
  }
}
function te() {
  let n;
  s();
  try {
    n = _.edgegate_memory();
  } catch (e) {
    o(e);
  }
  return n;
}
function ne(n) {
  let e;
  s();
  try {
    e = _.edgegate_reserve(n);
  } catch (t) {
    o(t);
  }
  return e >>> 0;
}
function re() {
  s();
  try {
    _.edgegate_revive();
  } catch (n) {
    o(n);
  }
}
function _e() {
  let n;
  s();
  try {
    n = _.edgegate_take_pending();
  } catch (e) {
    o(e);
  }
  return n;
}
function ie() {
  s();
  try {
    _.start();
  } catch (n) {
    o(n);
  }
}
function oe() {
  return { __proto__: null, "./index_bg.js": { __proto__: null, __wbg_Error_30c8987f7c2ed4e2: function(e, t) {
    return Error(h(e, t));
  }, __wbg_Number_14af1003b8dd5ead: function(e) {
    return Number(e);
  }, __wbg___wbindgen_bigint_get_as_i64_a2383202b9353e4c: function(e, t) {
    let r = t, i = typeof r == "bigint" ? r : void 0;
    d().setBigInt64(e + 8, f(i) ? BigInt(0) : i, true), d().setInt32(e + 0, !f(i), true);
  }, __wbg___wbindgen_boolean_get_5b446f51afd21013: function(e) {
    let t = e, r = typeof t == "boolean" ? t : void 0;
    return f(r) ? 16777215 : r ? 1 : 0;
  }, __wbg___wbindgen_debug_string_4687d8d8c2017d52: function(e, t) {
    let r = N(t), i = L(r, _.__wbindgen_malloc, _.__wbindgen_realloc), u = y;
    d().setInt32(e + 4, u, true), d().setInt32(e + 0, i, true);
  }, __wbg___wbindgen_in_92f62ee1427d9e49: function(e, t) {
    return e in t;
  }, __wbg___wbindgen_is_bigint_b123553bed3bb382: function(e) {
    return typeof e == "bigint";
  }, __wbg___wbindgen_is_function_1f9d30630b8b1d3d: function(e) {
    return typeof e == "function";
  }, __wbg___wbindgen_is_null_e343b7d08827ba72: function(e) {
    return e === null;
  }, __wbg___wbindgen_is_null_or_undefined_f9435d56bdcc06df: function(e) {
    return e == null;
  }, __wbg___wbindgen_is_object_3c45d4f2dde4e749: function(e) {
    let t = e;
    return typeof t == "object" && t !== null;
  }, __wbg___wbindgen_is_undefined_8865fb403f8fe9d8: function(e) {
    return e === void 0;
  }, __wbg___wbindgen_jsval_eq_02babf21faa37971: function(e, t) {
    return e === t;
  }, __wbg___wbindgen_jsval_loose_eq_677f21e468d6b461: function(e, t) {
    return e == t;
  }, __wbg___wbindgen_memory_caa4a6165639c8b5: function() {
    return _.memory;
  }, __wbg___wbindgen_number_get_2e0e7dee9f701a71: function(e, t) {
    let r = t, i = typeof r == "number" ? r : void 0;
    d().setFloat64(e + 8, f(i) ? 0 : i, true), d().setInt32(e + 0, !f(i), true);
  }, __wbg___wbindgen_reinit_3f79fdb34dee3ea9: function() {
    M = true;
  }, __wbg___wbindgen_string_get_0380ccaa2f57f0d9: function(e, t) {
    let r = t, i = typeof r == "string" ? r : void 0;
    var u = f(i) ? 0 : L(i, _.__wbindgen_malloc, _.__wbindgen_realloc), a = y;
    d().setInt32(e + 4, a, true), d().setInt32(e + 0, u, true);
  }, __wbg___wbindgen_throw_41e9ee4f547fc59a: function(e, t) {
    throw new WebAssembly.Exception(U, [new Error(h(e, t))]);
  }, __wbg__wbg_cb_unref_dcc1a90847f04c41: function(e) {
    e._wbg_cb_unref();
  }, __wbg_all_2228d6712e7ddb97: function(e) {
    return e.all();
  }, __wbg_batch_6b58fc32d9c19d60: function(e, t) {
    return e.batch(t);
  }, __wbg_bind_1f842289d2018ed8: function(e, t) {
    return e.bind(...t);
  }, __wbg_body_4792166cb351f162: function(e) {
    let t = e.body;
    return f(t) ? 0 : w(t);
  }, __wbg_buffer_56ec2905a66f58b9: function(e) {
    return e.buffer;
  }, __wbg_byobRequest_54f7ce41d584549a: function(e) {
    let t = e.byobRequest;
    return f(t) ? 0 : w(t);
  }, __wbg_byteLength_9f985b8373f1f3fe: function(e) {
    return e.byteLength;
  }, __wbg_byteOffset_0bd5a6a03553639c: function(e) {
    return e.byteOffset;
  }, __wbg_call_187d372bd5fdd4aa: function(e, t, r) {
    return e.call(t, r);
  }, __wbg_call_6137034ef55c9d0f: function(e, t) {
    return e.call(t);
  }, __wbg_cancel_7c2a08c8db4c73f3: function(e) {
    return e.cancel();
  }, __wbg_cause_19276d032a32d4bd: function(e) {
    return e.cause;
  }, __wbg_close_185286988f30f252: function(e) {
    e.close();
  }, __wbg_close_748f26698dabe269: function(e) {
    e.close();
  }, __wbg_constructor_076176ce0f386e16: function(e) {
    return e.constructor;
  }, __wbg_done_b41a1d26cdb37fb6: function(e) {
    return e.done;
  }, __wbg_enqueue_4a01c128f9a0de16: function(e, t) {
    e.enqueue(t);
  }, __wbg_entries_fb6397112b1de25f: function(e) {
    return Object.entries(e);
  }, __wbg_error_757e9472f8410341: function(e, t) {
    let r, i;
    try {
      r = e, i = t, console.error(h(e, t));
    } finally {
      s();
      try {
        _.__wbindgen_free(r, i, 1);
      } catch (u) {
        o(u);
      }
    }
  }, __wbg_error_a30e98d44009f1bb: function(e, t) {
    console.error(e, t);
  }, __wbg_error_c9cf3fc2064683a9: function(e) {
    console.error(e);
  }, __wbg_first_3f7220e4ae4ce878: function(e, t, r) {
    return e.first(t === 0 ? void 0 : h(t, r));
  }, __wbg_getReader_e782bd33388a2c7b: function(e) {
    return e.getReader();
  }, __wbg_get_31af05bd4842a84f: function(e, t) {
    return Reflect.get(e, t);
  }, __wbg_get_658f6698067d9515: function(e, t) {
    return Reflect.get(e, t);
  }, __wbg_get_6c896e0571ddae51: function(e, t) {
    return e[t >>> 0];
  }, __wbg_get_88983e33467eae60: function(e, t) {
    let r = Reflect.get(e, t);
    return f(r) ? 0 : w(r);
  }, __wbg_get_unchecked_288889d017702237: function(e, t) {
    return e[t >>> 0];
  }, __wbg_get_with_ref_key_6412cf3094599694: function(e, t) {
    return e[t];
  }, __wbg_instanceId_9b67ff33ae8bef8a: function(e) {
    return e.instanceId;
  }, __wbg_instanceof_ArrayBuffer_a99f175873e5d9b8: function(e) {
    let t;
    try {
      t = e instanceof ArrayBuffer;
    } catch {
      t = false;
    }
    return t;
  }, __wbg_instanceof_Error_80a725f81f2e102d: function(e) {
    let t;
    try {
      t = e instanceof Error;
    } catch {
      t = false;
    }
    return t;
  }, __wbg_instanceof_Map_b2611749102d7ba3: function(e) {
    let t;
    try {
      t = e instanceof Map;
    } catch {
      t = false;
    }
    return t;
  }, __wbg_instanceof_Uint8Array_828cef2aaacafc31: function(e) {
    let t;
    try {
      t = e instanceof Uint8Array;
    } catch {
      t = false;
    }
    return t;
  }, __wbg_isArray_e15a2ff68ffdbef2: function(e) {
    return Array.isArray(e);
  }, __wbg_isSafeInteger_717808ad6a54bd9e: function(e) {
    return Number.isSafeInteger(e);
  }, __wbg_iterator_e3c31c892080e444: function() {
    return Symbol.iterator;
  }, __wbg_length_7f3c00c40364105e: function(e) {
    return e.length;
  }, __wbg_length_d4bdea10311bd9cf: function(e) {
    return e.length;
  }, __wbg_message_5f8387f0c32b90a7: function(e) {
    return e.message;
  }, __wbg_name_e2eac7cdfa054f65: function(e) {
    return e.name;
  }, __wbg_name_f9b814d78e8e299f: function(e) {
    return e.name;
  }, __wbg_new_1dbf7428bba60a42: function(e) {
    return new Uint8Array(e);
  }, __wbg_new_227d7c05414eb861: function() {
    return new Error();
  }, __wbg_new_343a093a3c2ffb4e: function(e, t) {
    return new Error(h(e, t));
  }, __wbg_new_ee2291f50781bf1d: function() {
    return new Array();
  }, __wbg_new_from_slice_9a868026ffa4208a: function(e, t) {
    return new Uint8Array(C(e, t));
  }, __wbg_new_typed_b01cb72a8af741a3: function(e, t) {
    try {
      var r = { a: e, b: t }, i = (a, b) => {
        let g = r.a;
        r.a = 0;
        try {
          return fe(g, r.b, a, b);
        } finally {
          r.a = g;
        }
      };
      return new Promise(i);
    } finally {
      r.a = 0;
    }
  }, __wbg_new_with_byte_offset_and_length_2f5d7fc2a828b74d: function(e, t, r) {
    return new Uint8Array(e, t >>> 0, r >>> 0);
  }, __wbg_next_33784799010f1bbe: function(e) {
    return e.next;
  }, __wbg_next_f4aac29c42af995c: function(e) {
    return e.next();
  }, __wbg_now_aa4ccb83129e9e55: function() {
    return Date.now();
  }, __wbg_prepare_6fe68a8990920f81: function(e, t, r) {
    return e.prepare(h(t, r));
  }, __wbg_prototypesetcall_bc27214492979395: function(e, t, r) {
    Uint8Array.prototype.set.call(C(e, t), r);
  }, __wbg_push_2baf45db356cf468: function(e, t) {
    return e.push(t);
  }, __wbg_queueMicrotask_9833f9a49df95a49: function(e) {
    return e.queueMicrotask;
  }, __wbg_queueMicrotask_a72f977e97f23c5f: function(e) {
    queueMicrotask(e);
  }, __wbg_random_5a4cafd2f02395ff: function() {
    return Math.random();
  }, __wbg_read_2a943774344c9728: function(e) {
    return e.read();
  }, __wbg_resolve_0076e10020304ede: function(e) {
    return Promise.resolve(e);
  }, __wbg_respond_c102fabcc79e5ef0: function(e, t) {
    e.respond(t >>> 0);
  }, __wbg_results_a5533c886ed43a9a: function(e) {
    let t = e.results;
    return f(t) ? 0 : w(t);
  }, __wbg_set_575d3ddb70fe831d: function(e, t, r) {
    e.set(C(t, r));
  }, __wbg_set_criticalError_3904d60fe2a0b05b: function(e, t) {
    e.criticalError = t !== 0;
  }, __wbg_set_instanceId_9ad5caac0a4e519c: function(e, t) {
    e.instanceId = t >>> 0;
  }, __wbg_stack_3b0d974bbf31e44f: function(e, t) {
    let r = t.stack, i = L(r, _.__wbindgen_malloc, _.__wbindgen_realloc), u = y;
    d().setInt32(e + 4, u, true), d().setInt32(e + 0, i, true);
  }, __wbg_static_accessor_GLOBAL_266715b9d96ba635: function() {
    let e = typeof global > "u" ? null : global;
    return f(e) ? 0 : w(e);
  }, __wbg_static_accessor_GLOBAL_THIS_10fb7dc1ae063179: function() {
    let e = typeof globalThis > "u" ? null : globalThis;
    return f(e) ? 0 : w(e);
  }, __wbg_static_accessor_INIT_STATE_e3fce2ad8a08e94e: function() {
    return H;
  }, __wbg_static_accessor_SELF_0b583911f537483a: function() {
    let e = typeof self > "u" ? null : self;
    return f(e) ? 0 : w(e);
  }, __wbg_static_accessor_WINDOW_d7f903d1508cbdc4: function() {
    let e = typeof window > "u" ? null : window;
    return f(e) ? 0 : w(e);
  }, __wbg_stringify_52ff602c1cc4fbb6: function(e) {
    return JSON.stringify(e);
  }, __wbg_then_c949d5a25a4e78f8: function(e, t, r) {
    return e.then(t, r);
  }, __wbg_then_e71170d78fcf8954: function(e, t) {
    return e.then(t);
  }, __wbg_value_f3c585ee8f5ba40c: function(e) {
    return e.value;
  }, __wbg_view_9c570f33e8d6ab96: function(e) {
    let t = e.view;
    return f(t) ? 0 : w(t);
  }, __wbindgen_generic_0000000000000001: function(e, t) {
    return he(e, t, ae);
  }, __wbindgen_generic_0000000000000002: function(e) {
    return e;
  }, __wbindgen_generic_0000000000000003: function(e) {
    return e;
  }, __wbindgen_generic_0000000000000004: function(e, t) {
    return h(e, t);
  }, __wbindgen_generic_0000000000000005: function(e) {
    return BigInt.asUintN(64, e);
  }, __wbindgen_init_externref_table: function() {
    let e = _.__wbindgen_externrefs, t = e.grow(4);
    e.set(0, void 0), e.set(t + 0, void 0), e.set(t + 1, null), e.set(t + 2, true), e.set(t + 3, false);
  }, __wbindgen_jstag: WebAssembly.JSTag, __wbindgen_rethrow_critical: function(e) {
    throw new Error("Critical error", { cause: e });
  } } };
}
var U = new WebAssembly.Tag({ parameters: ["externref"] });
var D;
var B = false;
function se() {
  B = true;
  try {
    let n = $()[_.__abort_handler.value / 4];
    n && _.__wbindgen_export.get(n)();
  } catch {
  }
}
function o(n) {
  throw n instanceof WebAssembly.Exception && n.is(U) ? n.getArg(U, 0) : ($()[D] = 1, se(), n);
}
function s() {
  if (D ??= _.__instance_terminated.value / 4, $()[D]) {
    if (B || se(), M) {
      z();
      return;
    }
    throw new Error("Module terminated");
  } else M && z();
}
function ae(n, e, t) {
  let r;
  s();
  try {
    r = _.wasm_bindgen__convert__closures_____invoke__hca35663d50152488(n, e, t);
  } catch (i) {
    o(i);
  }
  if (r[1]) throw ve(r[0]);
}
function fe(n, e, t, r) {
  s();
  try {
    _.wasm_bindgen__convert__closures_____invoke__h0e7e9b2ab26c597e(n, e, t, r);
  } catch (i) {
    o(i);
  }
}
var ue = ["bytes"];
var c = 0;
var be = typeof FinalizationRegistry > "u" ? { register: () => {
}, unregister: () => {
} } : new FinalizationRegistry(({ ptr: n, instance: e }) => {
  e === c && _.__wbg_containerstartupoptions_free(n, 1);
});
var ge = typeof FinalizationRegistry > "u" ? { register: () => {
}, unregister: () => {
} } : new FinalizationRegistry(({ ptr: n, instance: e }) => {
  e === c && _.__wbg_intounderlyingbytesource_free(n, 1);
});
var de = typeof FinalizationRegistry > "u" ? { register: () => {
}, unregister: () => {
} } : new FinalizationRegistry(({ ptr: n, instance: e }) => {
  e === c && _.__wbg_intounderlyingsink_free(n, 1);
});
var le = typeof FinalizationRegistry > "u" ? { register: () => {
}, unregister: () => {
} } : new FinalizationRegistry(({ ptr: n, instance: e }) => {
  e === c && _.__wbg_intounderlyingsource_free(n, 1);
});
var we = typeof FinalizationRegistry > "u" ? { register: () => {
}, unregister: () => {
} } : new FinalizationRegistry(({ ptr: n, instance: e }) => {
  e === c && _.__wbg_minifyconfig_free(n, 1);
});
var ye = typeof FinalizationRegistry > "u" ? { register: () => {
}, unregister: () => {
} } : new FinalizationRegistry(({ ptr: n, instance: e }) => {
  e === c && _.__wbg_r2range_free(n, 1);
});
function w(n) {
  let e = _.__externref_table_alloc();
  return _.__wbindgen_externrefs.set(e, n), e;
}
var G = typeof FinalizationRegistry > "u" ? { register: () => {
}, unregister: () => {
} } : new FinalizationRegistry((n) => {
  n.instance === c && _.__wbindgen_destroy_closure(n.a, n.b);
});
function N(n) {
  let e = typeof n;
  if (e == "number" || e == "boolean" || n == null) return `${n}`;
  if (e == "string") return `"${n}"`;
  if (e == "symbol") {
    let i = n.description;
    return i == null ? "Symbol" : `Symbol(${i})`;
  }
  if (e == "function") {
    let i = n.name;
    return typeof i == "string" && i.length > 0 ? `Function(${i})` : "Function";
  }
  if (Array.isArray(n)) {
    let i = n.length, u = "[";
    i > 0 && (u += N(n[0]));
    for (let a = 1; a < i; a++) u += ", " + N(n[a]);
    return u += "]", u;
  }
  let t = /\[object ([^\]]+)\]/.exec(toString.call(n)), r;
  if (t && t.length > 1) r = t[1];
  else return toString.call(n);
  if (r == "Object") try {
    return "Object(" + JSON.stringify(n) + ")";
  } catch {
    return "Object";
  }
  return n instanceof Error ? `${n.name}: ${n.message}
${n.stack}` : r;
}
function pe(n, e) {
  n = n >>> 0;
  let t = d(), r = [];
  for (let i = n; i < n + 4 * e; i += 4) r.push(_.__wbindgen_externrefs.get(t.getUint32(i, true)));
  return _.__externref_drop_slice(n, e), r;
}
function C(n, e) {
  return n = n >>> 0, j().subarray(n / 1, n / 1 + e);
}
var m = null;
function d() {
  return (m === null || m.buffer.detached === true || m.buffer.detached === void 0 && m.buffer !== _.memory.buffer) && (m = new DataView(_.memory.buffer)), m;
}
var F = null;
function $() {
  return (F === null || F.byteLength === 0) && (F = new Int32Array(_.memory.buffer)), F;
}
function h(n, e) {
  return xe(n >>> 0, e);
}
var R = null;
function j() {
  return (R === null || R.byteLength === 0) && (R = new Uint8Array(_.memory.buffer)), R;
}
function f(n) {
  return n == null;
}
function he(n, e, t) {
  let r = { a: n, b: e, cnt: 1, instance: c }, i = (...u) => {
    if (r.instance !== c) throw new Error("Cannot invoke closure from previous WASM instance");
    r.cnt++;
    let a = r.a;
    r.a = 0;
    try {
      return t(a, r.b, ...u);
    } finally {
      r.a = a, i._wbg_cb_unref();
    }
  };
  return i._wbg_cb_unref = () => {
    --r.cnt === 0 && (_.__wbindgen_destroy_closure(r.a, r.b), r.a = 0, G.unregister(r));
  }, G.register(i, r, r), i;
}
function me(n, e) {
  let t = e(n.length * 4, 4) >>> 0;
  for (let r = 0; r < n.length; r++) {
    let i = w(n[r]);
    d().setUint32(t + 4 * r, i, true);
  }
  return y = n.length, t;
}
function L(n, e, t) {
  if (t === void 0) {
    let b = W.encode(n), g = e(b.length, 1) >>> 0;
    return j().subarray(g, g + b.length).set(b), y = b.length, g;
  }
  let r = n.length, i = e(r, 1) >>> 0, u = j(), a = 0;
  for (; a < r; a++) {
    let b = n.charCodeAt(a);
    if (b > 127) break;
    u[i + a] = b;
  }
  if (a !== r) {
    a !== 0 && (n = n.slice(a)), i = t(i, r, r = a + n.length * 3, 1) >>> 0;
    let b = j().subarray(i + a, i + r), g = W.encodeInto(n, b);
    a += g.written, i = t(i, r, a, 1) >>> 0;
  }
  return y = a, i;
}
var M = false;
function ve(n) {
  let e = _.__wbindgen_externrefs.get(n);
  return _.__externref_table_dealloc(n), e;
}
var ce = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });
ce.decode();
function xe(n, e) {
  return ce.decode(j().subarray(n, n + e));
}
var W = new TextEncoder();
"encodeInto" in W || (W.encodeInto = function(n, e) {
  let t = W.encode(n);
  return e.set(t), { read: n.length, written: t.length };
});
var y = 0;
var q = new WebAssembly.Instance(index_bg_default, oe());
var _ = q.exports;
_.__wbindgen_start();
Error.stackTraceLimit = 100;
var p = Q();
function V() {
  p.criticalError && (console.log("Reinitializing Wasm application"), z(), p.criticalError = false, p.instanceId++);
}
addEventListener("error", (n) => {
  J(n.error);
});
function J(n) {
  n instanceof WebAssembly.RuntimeError && (console.error("Critical", n), p.criticalError = true);
}
var l = class extends WorkerEntrypoint {
};
l.prototype.edgegate_body_budget = X;
l.prototype.edgegate_fetch = Y;
l.prototype.edgegate_fetch_streamed = Z;
l.prototype.edgegate_init = ee;
l.prototype.edgegate_memory = te;
l.prototype.edgegate_reserve = ne;
l.prototype.edgegate_revive = re;
l.prototype.edgegate_take_pending = _e;
l.prototype.start = ie;
var Fe = { set: (n, e, t, r) => Reflect.set(n.instance, e, t, r), has: (n, e) => Reflect.has(n.instance, e), deleteProperty: (n, e) => Reflect.deleteProperty(n.instance, e), apply: (n, e, t) => Reflect.apply(n.instance, e, t), construct: (n, e, t) => Reflect.construct(n.instance, e, t), getPrototypeOf: (n) => Reflect.getPrototypeOf(n.instance), setPrototypeOf: (n, e) => Reflect.setPrototypeOf(n.instance, e), isExtensible: (n) => Reflect.isExtensible(n.instance), preventExtensions: (n) => Reflect.preventExtensions(n.instance), getOwnPropertyDescriptor: (n, e) => Reflect.getOwnPropertyDescriptor(n.instance, e), defineProperty: (n, e, t) => Reflect.defineProperty(n.instance, e, t), ownKeys: (n) => Reflect.ownKeys(n.instance) };
var O = { construct(n, e, t) {
  try {
    V();
    let r = { instance: Reflect.construct(n, e, t), instanceId: p.instanceId, ctor: n, args: e, newTarget: t };
    return new Proxy(r, { ...Fe, get(i, u, a) {
      i.instanceId !== p.instanceId && (i.instance = Reflect.construct(i.ctor, i.args, i.newTarget), i.instanceId = p.instanceId);
      let b = Reflect.get(i.instance, u, a);
      return typeof b != "function" ? b : b.constructor === Function ? new Proxy(b, { apply(g, T, P) {
        V();
        try {
          return g.apply(T, P);
        } catch (E) {
          throw J(E), E;
        }
      } }) : new Proxy(b, { async apply(g, T, P) {
        V();
        try {
          return await g.apply(T, P);
        } catch (E) {
          throw J(E), E;
        }
      } });
    } });
  } catch (r) {
    throw p.criticalError = true, r;
  }
} };
var Ae = new Proxy(l, O);
var Se = new Proxy(v, O);
var ze = new Proxy(x, O);
var Me = new Proxy(I, O);

// ../work/main/worker/entry.js
var {
  edgegate_init: init,
  edgegate_memory: wasmMemory,
  edgegate_reserve: reserve,
  edgegate_body_budget: bodyBudget,
  edgegate_fetch: fetchBuffered,
  edgegate_fetch_streamed: fetchStreamed,
  edgegate_take_pending: takePending,
  edgegate_revive: revive
} = Ae.prototype;
var PENDING_RESPONSE = -1;
var NEEDS_INIT = -2;
var REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
var inFlight = /* @__PURE__ */ new Set();
var memory = null;
var bytes = null;
var inputAt = 0;
var inputCapacity = 0;
var budget = -1;
var aborted = false;
addEventListener("error", (event) => {
  if (event.error instanceof WebAssembly.RuntimeError) {
    aborted = true;
    for (const fail of inFlight) fail(event.error);
    inFlight.clear();
  }
});
var entry_default = {
  async fetch(request, env) {
    try {
      if (aborted) {
        aborted = false;
        revive();
        memory = bytes = null;
        inputAt = inputCapacity = 0;
        budget = -1;
      }
      let head = request.method + "\n" + request.url + "\n";
      for (const [name, value] of request.headers) head += name + "\n" + value + "\n";
      head += "\n";
      let body = null;
      let streamed = false;
      if (request.body !== null) {
        if (budget < 0) {
          init(env);
          budget = bodyBudget();
        }
        const declared = request.headers.get("content-length");
        if (declared !== null && +declared <= budget) body = new Uint8Array(await request.arrayBuffer());
        else streamed = true;
      }
      let result = handle(request, head, body, streamed);
      if (result === NEEDS_INIT) {
        init(env);
        result = handle(request, head, body, streamed);
      }
      if (result === PENDING_RESPONSE) return decode(await waitFor(takePending()), 0);
      return decode(view(), result);
    } catch (error) {
      if (error instanceof WebAssembly.RuntimeError) aborted = true;
      return failure(request, error);
    }
  }
};
function view() {
  if (bytes === null || bytes.length === 0) {
    memory ??= wasmMemory();
    bytes = new Uint8Array(memory.buffer);
  }
  return bytes;
}
function handle(request, head, body, streamed) {
  const length = head.length + (body === null ? 0 : body.length);
  if (length > inputCapacity) {
    inputCapacity = Math.max(length, 16384);
    inputAt = reserve(inputCapacity);
  }
  const at = inputAt;
  const u8 = view();
  for (let i = 0; i < head.length; i++) u8[at + i] = head.charCodeAt(i);
  if (body !== null) u8.set(body, at + head.length);
  const now = Date.now();
  return streamed ? fetchStreamed(length, request, now) : fetchBuffered(length, body === null ? -1 : body.length, now);
}
async function waitFor(promise) {
  let fail;
  const aborted2 = new Promise((_2, reject) => fail = reject);
  inFlight.add(fail);
  try {
    return await Promise.race([promise, aborted2]);
  } finally {
    inFlight.delete(fail);
  }
}
var word = (u8, at) => u8[at] | u8[at + 1] << 8 | u8[at + 2] << 16 | u8[at + 3] << 24;
function latin1(u8, from, to) {
  if (to - from > 32) return String.fromCharCode.apply(null, u8.subarray(from, to));
  let text = "";
  for (let i = from; i < to; i++) text += String.fromCharCode(u8[i]);
  return text;
}
var utf8 = new TextDecoder();
function ascii(u8, from, to) {
  if (to - from > 4096) return false;
  for (let i = from; i < to; i++) if (u8[i] > 127) return false;
  return true;
}
function decode(u8, at) {
  const end = at + word(u8, at);
  const bodyAt = at + word(u8, at + 4);
  const logAt = at + word(u8, at + 8);
  let i = at + 12;
  let status = 0;
  while (u8[i] !== 10) status = status * 10 + u8[i++] - 48;
  i++;
  const headers = {};
  while (u8[i] !== 10) {
    let j2 = i;
    while (u8[j2] !== 10) j2++;
    let k2 = j2 + 1;
    while (u8[k2] !== 10) k2++;
    headers[latin1(u8, i, j2)] = latin1(u8, j2 + 1, k2);
    i = k2 + 1;
  }
  const body = logAt === bodyAt ? null : ascii(u8, bodyAt, logAt) ? latin1(u8, bodyAt, logAt) : u8.slice(bodyAt, logAt);
  if (end > logAt) {
    console.log(ascii(u8, logAt, end) ? latin1(u8, logAt, end) : utf8.decode(u8.subarray(logAt, end)));
  }
  return new Response(body, { status, headers });
}
function failure(request, error) {
  const given = request.headers.get("x-request-id");
  const requestId = given && REQUEST_ID.test(given) ? given : crypto.randomUUID().replaceAll("-", "");
  console.error(JSON.stringify({ level: "error", message: "worker failed", request_id: requestId, error: String(error) }));
  const problem = {
    type: "urn:edgegate:problem:internal",
    title: "Internal Server Error",
    status: 500,
    detail: "The server failed to handle this request. The failure is logged under this request id.",
    request_id: requestId
  };
  return new Response(JSON.stringify(problem), {
    status: 500,
    headers: { "content-type": "application/problem+json", "x-request-id": requestId }
  });
}
export {
  entry_default as default
};
