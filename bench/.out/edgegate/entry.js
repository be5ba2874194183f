var __defProp = Object.defineProperty;
var __name = (target, value) => __defProp(target, "name", { value, configurable: true });

// build/index.js
import { WorkerEntrypoint as Ee } from "cloudflare:workers";
import K from "./a087e54aa8100a908da6d9652dea841ec12500ed-index_bg.wasm";
var J = globalThis.__worker_init_state = { criticalError: false, instanceId: 0 };
var m = class {
  static {
    __name(this, "m");
  }
  __destroy_into_raw() {
    let e = this.__wbg_ptr;
    return this.__wbg_ptr = 0, ue.unregister(this), e;
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
      _.__wbg_set_containerstartupoptions_enableInternet(this.__wbg_ptr, u(e) ? 16777215 : e ? 1 : 0);
    } catch (t) {
      o(t);
    }
  }
  set entrypoint(e) {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    let t = he(e, _.__wbindgen_malloc), r = w;
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
Symbol.dispose && (m.prototype[Symbol.dispose] = m.prototype.free);
var k = class {
  static {
    __name(this, "k");
  }
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
    return fe[e];
  }
};
Symbol.dispose && (k.prototype[Symbol.dispose] = k.prototype.free);
var A = class {
  static {
    __name(this, "A");
  }
  __destroy_into_raw() {
    let e = this.__wbg_ptr;
    return this.__wbg_ptr = 0, be.unregister(this), e;
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
  static {
    __name(this, "S");
  }
  __destroy_into_raw() {
    let e = this.__wbg_ptr;
    return this.__wbg_ptr = 0, de.unregister(this), e;
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
var v = class {
  static {
    __name(this, "v");
  }
  __destroy_into_raw() {
    let e = this.__wbg_ptr;
    return this.__wbg_ptr = 0, le.unregister(this), e;
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
Symbol.dispose && (v.prototype[Symbol.dispose] = v.prototype.free);
var x = class {
  static {
    __name(this, "x");
  }
  __destroy_into_raw() {
    let e = this.__wbg_ptr;
    return this.__wbg_ptr = 0, we.unregister(this), e;
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
      _.__wbg_set_r2range_length(this.__wbg_ptr, !u(e), u(e) ? 0 : e);
    } catch (t) {
      o(t);
    }
  }
  set offset(e) {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    s();
    try {
      _.__wbg_set_r2range_offset(this.__wbg_ptr, !u(e), u(e) ? 0 : e);
    } catch (t) {
      o(t);
    }
  }
  set suffix(e) {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== c) throw new Error("Invalid stale object from previous Wasm instance");
    s();
    try {
      _.__wbg_set_r2range_suffix(this.__wbg_ptr, !u(e), u(e) ? 0 : e);
    } catch (t) {
      o(t);
    }
  }
};
Symbol.dispose && (x.prototype[Symbol.dispose] = x.prototype.free);
function z() {
  c++, y = null, W = null, F = null, typeof numBytesDecoded < "u" && (numBytesDecoded = 0), typeof w < "u" && (w = 0), q = false, T = false, U = new WebAssembly.Instance(K, ie()), _ = U.exports, _.__wbindgen_start();
}
__name(z, "z");
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
__name(Q, "Q");
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
__name(X, "X");
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
__name(Y, "Y");
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
__name(Z, "Z");
function $(n) {
  s();
  try {
    _.edgegate_init(n);
  } catch (e) {
    o(e);
  }
}
__name($, "$");
function ee() {
  let n;
  s();
  try {
    n = _.edgegate_memory();
  } catch (e) {
    o(e);
  }
  return n;
}
__name(ee, "ee");
function te(n) {
  let e;
  s();
  try {
    e = _.edgegate_reserve(n);
  } catch (t) {
    o(t);
  }
  return e >>> 0;
}
__name(te, "te");
function ne() {
  s();
  try {
    _.edgegate_revive();
  } catch (n) {
    o(n);
  }
}
__name(ne, "ne");
function re() {
  let n;
  s();
  try {
    n = _.edgegate_take_pending();
  } catch (e) {
    o(e);
  }
  return n;
}
__name(re, "re");
function _e() {
  s();
  try {
    _.start();
  } catch (n) {
    o(n);
  }
}
__name(_e, "_e");
function ie() {
  return { __proto__: null, "./index_bg.js": { __proto__: null, __wbg___wbindgen_boolean_get_5b446f51afd21013: /* @__PURE__ */ __name(function(e) {
    let t = e, r = typeof t == "boolean" ? t : void 0;
    return u(r) ? 16777215 : r ? 1 : 0;
  }, "__wbg___wbindgen_boolean_get_5b446f51afd21013"), __wbg___wbindgen_is_function_1f9d30630b8b1d3d: /* @__PURE__ */ __name(function(e) {
    return typeof e == "function";
  }, "__wbg___wbindgen_is_function_1f9d30630b8b1d3d"), __wbg___wbindgen_is_null_e343b7d08827ba72: /* @__PURE__ */ __name(function(e) {
    return e === null;
  }, "__wbg___wbindgen_is_null_e343b7d08827ba72"), __wbg___wbindgen_is_object_3c45d4f2dde4e749: /* @__PURE__ */ __name(function(e) {
    let t = e;
    return typeof t == "object" && t !== null;
  }, "__wbg___wbindgen_is_object_3c45d4f2dde4e749"), __wbg___wbindgen_is_undefined_8865fb403f8fe9d8: /* @__PURE__ */ __name(function(e) {
    return e === void 0;
  }, "__wbg___wbindgen_is_undefined_8865fb403f8fe9d8"), __wbg___wbindgen_memory_caa4a6165639c8b5: /* @__PURE__ */ __name(function() {
    return _.memory;
  }, "__wbg___wbindgen_memory_caa4a6165639c8b5"), __wbg___wbindgen_reinit_3f79fdb34dee3ea9: /* @__PURE__ */ __name(function() {
    T = true;
  }, "__wbg___wbindgen_reinit_3f79fdb34dee3ea9"), __wbg___wbindgen_string_get_0380ccaa2f57f0d9: /* @__PURE__ */ __name(function(e, t) {
    let r = t, i = typeof r == "string" ? r : void 0;
    var g = u(i) ? 0 : G(i, _.__wbindgen_malloc, _.__wbindgen_realloc), a = w;
    h().setInt32(e + 4, a, true), h().setInt32(e + 0, g, true);
  }, "__wbg___wbindgen_string_get_0380ccaa2f57f0d9"), __wbg___wbindgen_throw_41e9ee4f547fc59a: /* @__PURE__ */ __name(function(e, t) {
    throw new WebAssembly.Exception(L, [new Error(I(e, t))]);
  }, "__wbg___wbindgen_throw_41e9ee4f547fc59a"), __wbg__wbg_cb_unref_dcc1a90847f04c41: /* @__PURE__ */ __name(function(e) {
    e._wbg_cb_unref();
  }, "__wbg__wbg_cb_unref_dcc1a90847f04c41"), __wbg_all_8206c74350ce49e6: /* @__PURE__ */ __name(function(e) {
    return e.all();
  }, "__wbg_all_8206c74350ce49e6"), __wbg_batch_71e7eee564116829: /* @__PURE__ */ __name(function(e, t) {
    return e.batch(t);
  }, "__wbg_batch_71e7eee564116829"), __wbg_bind_e397829f3f127171: /* @__PURE__ */ __name(function(e, t) {
    return e.bind(...t);
  }, "__wbg_bind_e397829f3f127171"), __wbg_body_4792166cb351f162: /* @__PURE__ */ __name(function(e) {
    let t = e.body;
    return u(t) ? 0 : l(t);
  }, "__wbg_body_4792166cb351f162"), __wbg_buffer_56ec2905a66f58b9: /* @__PURE__ */ __name(function(e) {
    return e.buffer;
  }, "__wbg_buffer_56ec2905a66f58b9"), __wbg_byobRequest_54f7ce41d584549a: /* @__PURE__ */ __name(function(e) {
    let t = e.byobRequest;
    return u(t) ? 0 : l(t);
  }, "__wbg_byobRequest_54f7ce41d584549a"), __wbg_byteLength_9f985b8373f1f3fe: /* @__PURE__ */ __name(function(e) {
    return e.byteLength;
  }, "__wbg_byteLength_9f985b8373f1f3fe"), __wbg_byteOffset_0bd5a6a03553639c: /* @__PURE__ */ __name(function(e) {
    return e.byteOffset;
  }, "__wbg_byteOffset_0bd5a6a03553639c"), __wbg_call_187d372bd5fdd4aa: /* @__PURE__ */ __name(function(e, t, r) {
    return e.call(t, r);
  }, "__wbg_call_187d372bd5fdd4aa"), __wbg_cancel_7c2a08c8db4c73f3: /* @__PURE__ */ __name(function(e) {
    return e.cancel();
  }, "__wbg_cancel_7c2a08c8db4c73f3"), __wbg_close_185286988f30f252: /* @__PURE__ */ __name(function(e) {
    e.close();
  }, "__wbg_close_185286988f30f252"), __wbg_close_748f26698dabe269: /* @__PURE__ */ __name(function(e) {
    e.close();
  }, "__wbg_close_748f26698dabe269"), __wbg_enqueue_4a01c128f9a0de16: /* @__PURE__ */ __name(function(e, t) {
    e.enqueue(t);
  }, "__wbg_enqueue_4a01c128f9a0de16"), __wbg_error_757e9472f8410341: /* @__PURE__ */ __name(function(e, t) {
    let r, i;
    try {
      r = e, i = t, console.error(I(e, t));
    } finally {
      s();
      try {
        _.__wbindgen_free(r, i, 1);
      } catch (g) {
        o(g);
      }
    }
  }, "__wbg_error_757e9472f8410341"), __wbg_error_a30e98d44009f1bb: /* @__PURE__ */ __name(function(e, t) {
    console.error(e, t);
  }, "__wbg_error_a30e98d44009f1bb"), __wbg_error_c9cf3fc2064683a9: /* @__PURE__ */ __name(function(e) {
    console.error(e);
  }, "__wbg_error_c9cf3fc2064683a9"), __wbg_getReader_e782bd33388a2c7b: /* @__PURE__ */ __name(function(e) {
    return e.getReader();
  }, "__wbg_getReader_e782bd33388a2c7b"), __wbg_get_31af05bd4842a84f: /* @__PURE__ */ __name(function(e, t) {
    return Reflect.get(e, t);
  }, "__wbg_get_31af05bd4842a84f"), __wbg_instanceId_9b67ff33ae8bef8a: /* @__PURE__ */ __name(function(e) {
    return e.instanceId;
  }, "__wbg_instanceId_9b67ff33ae8bef8a"), __wbg_instanceof_Error_80a725f81f2e102d: /* @__PURE__ */ __name(function(e) {
    let t;
    try {
      t = e instanceof Error;
    } catch {
      t = false;
    }
    return t;
  }, "__wbg_instanceof_Error_80a725f81f2e102d"), __wbg_length_7f3c00c40364105e: /* @__PURE__ */ __name(function(e) {
    return e.length;
  }, "__wbg_length_7f3c00c40364105e"), __wbg_message_5f8387f0c32b90a7: /* @__PURE__ */ __name(function(e) {
    return e.message;
  }, "__wbg_message_5f8387f0c32b90a7"), __wbg_new_227d7c05414eb861: /* @__PURE__ */ __name(function() {
    return new Error();
  }, "__wbg_new_227d7c05414eb861"), __wbg_new_343a093a3c2ffb4e: /* @__PURE__ */ __name(function(e, t) {
    return new Error(I(e, t));
  }, "__wbg_new_343a093a3c2ffb4e"), __wbg_new_ee2291f50781bf1d: /* @__PURE__ */ __name(function() {
    return new Array();
  }, "__wbg_new_ee2291f50781bf1d"), __wbg_new_from_slice_9a868026ffa4208a: /* @__PURE__ */ __name(function(e, t) {
    return new Uint8Array(C(e, t));
  }, "__wbg_new_from_slice_9a868026ffa4208a"), __wbg_new_typed_b01cb72a8af741a3: /* @__PURE__ */ __name(function(e, t) {
    try {
      var r = { a: e, b: t }, i = /* @__PURE__ */ __name((a, f) => {
        let b = r.a;
        r.a = 0;
        try {
          return ae(b, r.b, a, f);
        } finally {
          r.a = b;
        }
      }, "i");
      return new Promise(i);
    } finally {
      r.a = 0;
    }
  }, "__wbg_new_typed_b01cb72a8af741a3"), __wbg_new_with_byte_offset_and_length_2f5d7fc2a828b74d: /* @__PURE__ */ __name(function(e, t, r) {
    return new Uint8Array(e, t >>> 0, r >>> 0);
  }, "__wbg_new_with_byte_offset_and_length_2f5d7fc2a828b74d"), __wbg_now_aa4ccb83129e9e55: /* @__PURE__ */ __name(function() {
    return Date.now();
  }, "__wbg_now_aa4ccb83129e9e55"), __wbg_prepare_f75b7bb5e8f91705: /* @__PURE__ */ __name(function(e, t, r) {
    return e.prepare(I(t, r));
  }, "__wbg_prepare_f75b7bb5e8f91705"), __wbg_prototypesetcall_bc27214492979395: /* @__PURE__ */ __name(function(e, t, r) {
    Uint8Array.prototype.set.call(C(e, t), r);
  }, "__wbg_prototypesetcall_bc27214492979395"), __wbg_push_2baf45db356cf468: /* @__PURE__ */ __name(function(e, t) {
    return e.push(t);
  }, "__wbg_push_2baf45db356cf468"), __wbg_queueMicrotask_9833f9a49df95a49: /* @__PURE__ */ __name(function(e) {
    return e.queueMicrotask;
  }, "__wbg_queueMicrotask_9833f9a49df95a49"), __wbg_queueMicrotask_a72f977e97f23c5f: /* @__PURE__ */ __name(function(e) {
    queueMicrotask(e);
  }, "__wbg_queueMicrotask_a72f977e97f23c5f"), __wbg_random_5a4cafd2f02395ff: /* @__PURE__ */ __name(function() {
    return Math.random();
  }, "__wbg_random_5a4cafd2f02395ff"), __wbg_read_2a943774344c9728: /* @__PURE__ */ __name(function(e) {
    return e.read();
  }, "__wbg_read_2a943774344c9728"), __wbg_resolve_0076e10020304ede: /* @__PURE__ */ __name(function(e) {
    return Promise.resolve(e);
  }, "__wbg_resolve_0076e10020304ede"), __wbg_respond_c102fabcc79e5ef0: /* @__PURE__ */ __name(function(e, t) {
    e.respond(t >>> 0);
  }, "__wbg_respond_c102fabcc79e5ef0"), __wbg_set_575d3ddb70fe831d: /* @__PURE__ */ __name(function(e, t, r) {
    e.set(C(t, r));
  }, "__wbg_set_575d3ddb70fe831d"), __wbg_set_criticalError_3904d60fe2a0b05b: /* @__PURE__ */ __name(function(e, t) {
    e.criticalError = t !== 0;
  }, "__wbg_set_criticalError_3904d60fe2a0b05b"), __wbg_set_instanceId_9ad5caac0a4e519c: /* @__PURE__ */ __name(function(e, t) {
    e.instanceId = t >>> 0;
  }, "__wbg_set_instanceId_9ad5caac0a4e519c"), __wbg_stack_3b0d974bbf31e44f: /* @__PURE__ */ __name(function(e, t) {
    let r = t.stack, i = G(r, _.__wbindgen_malloc, _.__wbindgen_realloc), g = w;
    h().setInt32(e + 4, g, true), h().setInt32(e + 0, i, true);
  }, "__wbg_stack_3b0d974bbf31e44f"), __wbg_static_accessor_GLOBAL_266715b9d96ba635: /* @__PURE__ */ __name(function() {
    let e = typeof global > "u" ? null : global;
    return u(e) ? 0 : l(e);
  }, "__wbg_static_accessor_GLOBAL_266715b9d96ba635"), __wbg_static_accessor_GLOBAL_THIS_10fb7dc1ae063179: /* @__PURE__ */ __name(function() {
    let e = typeof globalThis > "u" ? null : globalThis;
    return u(e) ? 0 : l(e);
  }, "__wbg_static_accessor_GLOBAL_THIS_10fb7dc1ae063179"), __wbg_static_accessor_INIT_STATE_e3fce2ad8a08e94e: /* @__PURE__ */ __name(function() {
    return J;
  }, "__wbg_static_accessor_INIT_STATE_e3fce2ad8a08e94e"), __wbg_static_accessor_SELF_0b583911f537483a: /* @__PURE__ */ __name(function() {
    let e = typeof self > "u" ? null : self;
    return u(e) ? 0 : l(e);
  }, "__wbg_static_accessor_SELF_0b583911f537483a"), __wbg_static_accessor_WINDOW_d7f903d1508cbdc4: /* @__PURE__ */ __name(function() {
    let e = typeof window > "u" ? null : window;
    return u(e) ? 0 : l(e);
  }, "__wbg_static_accessor_WINDOW_d7f903d1508cbdc4"), __wbg_stringify_52ff602c1cc4fbb6: /* @__PURE__ */ __name(function(e) {
    return JSON.stringify(e);
  }, "__wbg_stringify_52ff602c1cc4fbb6"), __wbg_then_c949d5a25a4e78f8: /* @__PURE__ */ __name(function(e, t, r) {
    return e.then(t, r);
  }, "__wbg_then_c949d5a25a4e78f8"), __wbg_then_e71170d78fcf8954: /* @__PURE__ */ __name(function(e, t) {
    return e.then(t);
  }, "__wbg_then_e71170d78fcf8954"), __wbg_view_9c570f33e8d6ab96: /* @__PURE__ */ __name(function(e) {
    let t = e.view;
    return u(t) ? 0 : l(t);
  }, "__wbg_view_9c570f33e8d6ab96"), __wbindgen_generic_0000000000000001: /* @__PURE__ */ __name(function(e, t) {
    return ye(e, t, ce);
  }, "__wbindgen_generic_0000000000000001"), __wbindgen_generic_0000000000000002: /* @__PURE__ */ __name(function(e) {
    return e;
  }, "__wbindgen_generic_0000000000000002"), __wbindgen_generic_0000000000000003: /* @__PURE__ */ __name(function(e, t) {
    return I(e, t);
  }, "__wbindgen_generic_0000000000000003"), __wbindgen_init_externref_table: /* @__PURE__ */ __name(function() {
    let e = _.__wbindgen_externrefs, t = e.grow(4);
    e.set(0, void 0), e.set(t + 0, void 0), e.set(t + 1, null), e.set(t + 2, true), e.set(t + 3, false);
  }, "__wbindgen_init_externref_table"), __wbindgen_jstag: WebAssembly.JSTag, __wbindgen_rethrow_critical: /* @__PURE__ */ __name(function(e) {
    throw new Error("Critical error", { cause: e });
  }, "__wbindgen_rethrow_critical") } };
}
__name(ie, "ie");
var L = new WebAssembly.Tag({ parameters: ["externref"] });
var D;
var q = false;
function oe() {
  q = true;
  try {
    let n = V()[_.__abort_handler.value / 4];
    n && _.__wbindgen_export.get(n)();
  } catch {
  }
}
__name(oe, "oe");
function o(n) {
  throw n instanceof WebAssembly.Exception && n.is(L) ? n.getArg(L, 0) : (V()[D] = 1, oe(), n);
}
__name(o, "o");
function s() {
  if (D ??= _.__instance_terminated.value / 4, V()[D]) {
    if (q || oe(), T) {
      z();
      return;
    }
    throw new Error("Module terminated");
  } else T && z();
}
__name(s, "s");
function ce(n, e, t) {
  let r;
  s();
  try {
    r = _.wasm_bindgen__convert__closures_____invoke__hca35663d50152488(n, e, t);
  } catch (i) {
    o(i);
  }
  if (r[1]) throw me(r[0]);
}
__name(ce, "ce");
function ae(n, e, t, r) {
  s();
  try {
    _.wasm_bindgen__convert__closures_____invoke__h0e7e9b2ab26c597e(n, e, t, r);
  } catch (i) {
    o(i);
  }
}
__name(ae, "ae");
var fe = ["bytes"];
var c = 0;
var ue = typeof FinalizationRegistry > "u" ? { register: /* @__PURE__ */ __name(() => {
}, "register"), unregister: /* @__PURE__ */ __name(() => {
}, "unregister") } : new FinalizationRegistry(({ ptr: n, instance: e }) => {
  e === c && _.__wbg_containerstartupoptions_free(n, 1);
});
var ge = typeof FinalizationRegistry > "u" ? { register: /* @__PURE__ */ __name(() => {
}, "register"), unregister: /* @__PURE__ */ __name(() => {
}, "unregister") } : new FinalizationRegistry(({ ptr: n, instance: e }) => {
  e === c && _.__wbg_intounderlyingbytesource_free(n, 1);
});
var be = typeof FinalizationRegistry > "u" ? { register: /* @__PURE__ */ __name(() => {
}, "register"), unregister: /* @__PURE__ */ __name(() => {
}, "unregister") } : new FinalizationRegistry(({ ptr: n, instance: e }) => {
  e === c && _.__wbg_intounderlyingsink_free(n, 1);
});
var de = typeof FinalizationRegistry > "u" ? { register: /* @__PURE__ */ __name(() => {
}, "register"), unregister: /* @__PURE__ */ __name(() => {
}, "unregister") } : new FinalizationRegistry(({ ptr: n, instance: e }) => {
  e === c && _.__wbg_intounderlyingsource_free(n, 1);
});
var le = typeof FinalizationRegistry > "u" ? { register: /* @__PURE__ */ __name(() => {
}, "register"), unregister: /* @__PURE__ */ __name(() => {
}, "unregister") } : new FinalizationRegistry(({ ptr: n, instance: e }) => {
  e === c && _.__wbg_minifyconfig_free(n, 1);
});
var we = typeof FinalizationRegistry > "u" ? { register: /* @__PURE__ */ __name(() => {
}, "register"), unregister: /* @__PURE__ */ __name(() => {
}, "unregister") } : new FinalizationRegistry(({ ptr: n, instance: e }) => {
  e === c && _.__wbg_r2range_free(n, 1);
});
function l(n) {
  let e = _.__externref_table_alloc();
  return _.__wbindgen_externrefs.set(e, n), e;
}
__name(l, "l");
var H = typeof FinalizationRegistry > "u" ? { register: /* @__PURE__ */ __name(() => {
}, "register"), unregister: /* @__PURE__ */ __name(() => {
}, "unregister") } : new FinalizationRegistry((n) => {
  n.instance === c && _.__wbindgen_destroy_closure(n.a, n.b);
});
function pe(n, e) {
  n = n >>> 0;
  let t = h(), r = [];
  for (let i = n; i < n + 4 * e; i += 4) r.push(_.__wbindgen_externrefs.get(t.getUint32(i, true)));
  return _.__externref_drop_slice(n, e), r;
}
__name(pe, "pe");
function C(n, e) {
  return n = n >>> 0, R().subarray(n / 1, n / 1 + e);
}
__name(C, "C");
var y = null;
function h() {
  return (y === null || y.buffer.detached === true || y.buffer.detached === void 0 && y.buffer !== _.memory.buffer) && (y = new DataView(_.memory.buffer)), y;
}
__name(h, "h");
var W = null;
function V() {
  return (W === null || W.byteLength === 0) && (W = new Int32Array(_.memory.buffer)), W;
}
__name(V, "V");
function I(n, e) {
  return ve(n >>> 0, e);
}
__name(I, "I");
var F = null;
function R() {
  return (F === null || F.byteLength === 0) && (F = new Uint8Array(_.memory.buffer)), F;
}
__name(R, "R");
function u(n) {
  return n == null;
}
__name(u, "u");
function ye(n, e, t) {
  let r = { a: n, b: e, cnt: 1, instance: c }, i = /* @__PURE__ */ __name((...g) => {
    if (r.instance !== c) throw new Error("Cannot invoke closure from previous WASM instance");
    r.cnt++;
    let a = r.a;
    r.a = 0;
    try {
      return t(a, r.b, ...g);
    } finally {
      r.a = a, i._wbg_cb_unref();
    }
  }, "i");
  return i._wbg_cb_unref = () => {
    --r.cnt === 0 && (_.__wbindgen_destroy_closure(r.a, r.b), r.a = 0, H.unregister(r));
  }, H.register(i, r, r), i;
}
__name(ye, "ye");
function he(n, e) {
  let t = e(n.length * 4, 4) >>> 0;
  for (let r = 0; r < n.length; r++) {
    let i = l(n[r]);
    h().setUint32(t + 4 * r, i, true);
  }
  return w = n.length, t;
}
__name(he, "he");
function G(n, e, t) {
  if (t === void 0) {
    let f = j.encode(n), b = e(f.length, 1) >>> 0;
    return R().subarray(b, b + f.length).set(f), w = f.length, b;
  }
  let r = n.length, i = e(r, 1) >>> 0, g = R(), a = 0;
  for (; a < r; a++) {
    let f = n.charCodeAt(a);
    if (f > 127) break;
    g[i + a] = f;
  }
  if (a !== r) {
    a !== 0 && (n = n.slice(a)), i = t(i, r, r = a + n.length * 3, 1) >>> 0;
    let f = R().subarray(i + a, i + r), b = j.encodeInto(n, f);
    a += b.written, i = t(i, r, a, 1) >>> 0;
  }
  return w = a, i;
}
__name(G, "G");
var T = false;
function me(n) {
  let e = _.__wbindgen_externrefs.get(n);
  return _.__externref_table_dealloc(n), e;
}
__name(me, "me");
var se = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });
se.decode();
function ve(n, e) {
  return se.decode(R().subarray(n, n + e));
}
__name(ve, "ve");
var j = new TextEncoder();
"encodeInto" in j || (j.encodeInto = function(n, e) {
  let t = j.encode(n);
  return e.set(t), { read: n.length, written: t.length };
});
var w = 0;
var U = new WebAssembly.Instance(K, ie());
var _ = U.exports;
_.__wbindgen_start();
Error.stackTraceLimit = 100;
var p = Q();
function B() {
  p.criticalError && (console.log("Reinitializing Wasm application"), z(), p.criticalError = false, p.instanceId++);
}
__name(B, "B");
addEventListener("error", (n) => {
  N(n.error);
});
function N(n) {
  n instanceof WebAssembly.RuntimeError && (console.error("Critical", n), p.criticalError = true);
}
__name(N, "N");
var d = class extends Ee {
  static {
    __name(this, "d");
  }
};
d.prototype.edgegate_body_budget = X;
d.prototype.edgegate_fetch = Y;
d.prototype.edgegate_fetch_streamed = Z;
d.prototype.edgegate_init = $;
d.prototype.edgegate_memory = ee;
d.prototype.edgegate_reserve = te;
d.prototype.edgegate_revive = ne;
d.prototype.edgegate_take_pending = re;
d.prototype.start = _e;
var Ie = { set: /* @__PURE__ */ __name((n, e, t, r) => Reflect.set(n.instance, e, t, r), "set"), has: /* @__PURE__ */ __name((n, e) => Reflect.has(n.instance, e), "has"), deleteProperty: /* @__PURE__ */ __name((n, e) => Reflect.deleteProperty(n.instance, e), "deleteProperty"), apply: /* @__PURE__ */ __name((n, e, t) => Reflect.apply(n.instance, e, t), "apply"), construct: /* @__PURE__ */ __name((n, e, t) => Reflect.construct(n.instance, e, t), "construct"), getPrototypeOf: /* @__PURE__ */ __name((n) => Reflect.getPrototypeOf(n.instance), "getPrototypeOf"), setPrototypeOf: /* @__PURE__ */ __name((n, e) => Reflect.setPrototypeOf(n.instance, e), "setPrototypeOf"), isExtensible: /* @__PURE__ */ __name((n) => Reflect.isExtensible(n.instance), "isExtensible"), preventExtensions: /* @__PURE__ */ __name((n) => Reflect.preventExtensions(n.instance), "preventExtensions"), getOwnPropertyDescriptor: /* @__PURE__ */ __name((n, e) => Reflect.getOwnPropertyDescriptor(n.instance, e), "getOwnPropertyDescriptor"), defineProperty: /* @__PURE__ */ __name((n, e, t) => Reflect.defineProperty(n.instance, e, t), "defineProperty"), ownKeys: /* @__PURE__ */ __name((n) => Reflect.ownKeys(n.instance), "ownKeys") };
var P = { construct(n, e, t) {
  try {
    B();
    let r = { instance: Reflect.construct(n, e, t), instanceId: p.instanceId, ctor: n, args: e, newTarget: t };
    return new Proxy(r, { ...Ie, get(i, g, a) {
      i.instanceId !== p.instanceId && (i.instance = Reflect.construct(i.ctor, i.args, i.newTarget), i.instanceId = p.instanceId);
      let f = Reflect.get(i.instance, g, a);
      return typeof f != "function" ? f : f.constructor === Function ? new Proxy(f, { apply(b, M, O) {
        B();
        try {
          return b.apply(M, O);
        } catch (E) {
          throw N(E), E;
        }
      } }) : new Proxy(f, { async apply(b, M, O) {
        B();
        try {
          return await b.apply(M, O);
        } catch (E) {
          throw N(E), E;
        }
      } });
    } });
  } catch (r) {
    throw p.criticalError = true, r;
  }
} };
var ke = new Proxy(d, P);
var Ae = new Proxy(m, P);
var Se = new Proxy(v, P);
var ze = new Proxy(x, P);

// worker/entry.js
var {
  edgegate_init: init,
  edgegate_memory: wasmMemory,
  edgegate_reserve: reserve,
  edgegate_body_budget: bodyBudget,
  edgegate_fetch: fetchBuffered,
  edgegate_fetch_streamed: fetchStreamed,
  edgegate_take_pending: takePending,
  edgegate_revive: revive
} = ke.prototype;
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
__name(view, "view");
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
__name(handle, "handle");
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
__name(waitFor, "waitFor");
var word = /* @__PURE__ */ __name((u8, at) => u8[at] | u8[at + 1] << 8 | u8[at + 2] << 16 | u8[at + 3] << 24, "word");
function latin1(u8, from, to) {
  if (to - from > 32) return String.fromCharCode.apply(null, u8.subarray(from, to));
  let text = "";
  for (let i = from; i < to; i++) text += String.fromCharCode(u8[i]);
  return text;
}
__name(latin1, "latin1");
var utf8 = new TextDecoder();
function ascii(u8, from, to) {
  if (to - from > 4096) return false;
  for (let i = from; i < to; i++) if (u8[i] > 127) return false;
  return true;
}
__name(ascii, "ascii");
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
__name(decode, "decode");
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
__name(failure, "failure");
export {
  entry_default as default
};
//# sourceMappingURL=entry.js.map
