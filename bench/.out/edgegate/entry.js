var __defProp = Object.defineProperty;
var __name = (target, value) => __defProp(target, "name", { value, configurable: true });

// build/index.js
import { WorkerEntrypoint as Fe } from "cloudflare:workers";
import Q from "./a448563398de71332235fe95612bb390c0b7c7c2-index_bg.wasm";
var G = globalThis.__worker_init_state = { criticalError: false, instanceId: 0 };
var E = class {
  static {
    __name(this, "E");
  }
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
    let t = ve(e, _.__wbindgen_malloc), r = d;
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
Symbol.dispose && (E.prototype[Symbol.dispose] = E.prototype.free);
var z = class {
  static {
    __name(this, "z");
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
    return ue[e];
  }
};
Symbol.dispose && (z.prototype[Symbol.dispose] = z.prototype.free);
var T = class {
  static {
    __name(this, "T");
  }
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
Symbol.dispose && (T.prototype[Symbol.dispose] = T.prototype.free);
var M = class {
  static {
    __name(this, "M");
  }
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
Symbol.dispose && (M.prototype[Symbol.dispose] = M.prototype.free);
var F = class {
  static {
    __name(this, "F");
  }
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
Symbol.dispose && (F.prototype[Symbol.dispose] = F.prototype.free);
var R = class {
  static {
    __name(this, "R");
  }
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
Symbol.dispose && (R.prototype[Symbol.dispose] = R.prototype.free);
function O() {
  c++, v = null, k = null, A = null, typeof numBytesDecoded < "u" && (numBytesDecoded = 0), typeof d < "u" && (d = 0), B = false, P = false, q = new WebAssembly.Instance(Q, re()), _ = q.exports, _.__wbindgen_start();
}
__name(O, "O");
function X() {
  let n;
  s();
  try {
    n = _.__worker_init_state();
  } catch (e) {
    o(e);
  }
  return n;
}
__name(X, "X");
function Y(n) {
  let e;
  s();
  try {
    e = _.edgegate_body_budget(n);
  } catch (t) {
    o(t);
  }
  return e;
}
__name(Y, "Y");
function Z(n, e, t, r, i, u) {
  let a = I(n, _.__wbindgen_malloc, _.__wbindgen_realloc), b = d, g = I(e, _.__wbindgen_malloc, _.__wbindgen_realloc), W = d, j = I(t, _.__wbindgen_malloc, _.__wbindgen_realloc), h = d;
  var oe = f(r) ? 0 : me(r, _.__wbindgen_malloc), se = d;
  let H;
  s();
  try {
    H = _.edgegate_fetch(a, b, g, W, j, h, oe, se, i, u);
  } catch (ce) {
    o(ce);
  }
  return H;
}
__name(Z, "Z");
function ee() {
  s();
  try {
    _.edgegate_revive();
  } catch (n) {
    o(n);
  }
}
__name(ee, "ee");
function te() {
  let n;
  s();
  try {
    n = _.edgegate_take_body();
  } catch (t) {
    o(t);
  }
  var e = N(n[0], n[1]).slice();
  return _.__wbindgen_free(n[0], n[1] * 1, 1), e;
}
__name(te, "te");
function ne() {
  s();
  try {
    _.start();
  } catch (n) {
    o(n);
  }
}
__name(ne, "ne");
function re() {
  return { __proto__: null, "./index_bg.js": { __proto__: null, __wbg_Error_30c8987f7c2ed4e2: /* @__PURE__ */ __name(function(e, t) {
    return Error(m(e, t));
  }, "__wbg_Error_30c8987f7c2ed4e2"), __wbg_Number_14af1003b8dd5ead: /* @__PURE__ */ __name(function(e) {
    return Number(e);
  }, "__wbg_Number_14af1003b8dd5ead"), __wbg___wbindgen_bigint_get_as_i64_a2383202b9353e4c: /* @__PURE__ */ __name(function(e, t) {
    let r = t, i = typeof r == "bigint" ? r : void 0;
    l().setBigInt64(e + 8, f(i) ? BigInt(0) : i, true), l().setInt32(e + 0, !f(i), true);
  }, "__wbg___wbindgen_bigint_get_as_i64_a2383202b9353e4c"), __wbg___wbindgen_boolean_get_5b446f51afd21013: /* @__PURE__ */ __name(function(e) {
    let t = e, r = typeof t == "boolean" ? t : void 0;
    return f(r) ? 16777215 : r ? 1 : 0;
  }, "__wbg___wbindgen_boolean_get_5b446f51afd21013"), __wbg___wbindgen_debug_string_4687d8d8c2017d52: /* @__PURE__ */ __name(function(e, t) {
    let r = D(t), i = I(r, _.__wbindgen_malloc, _.__wbindgen_realloc), u = d;
    l().setInt32(e + 4, u, true), l().setInt32(e + 0, i, true);
  }, "__wbg___wbindgen_debug_string_4687d8d8c2017d52"), __wbg___wbindgen_in_92f62ee1427d9e49: /* @__PURE__ */ __name(function(e, t) {
    return e in t;
  }, "__wbg___wbindgen_in_92f62ee1427d9e49"), __wbg___wbindgen_is_bigint_b123553bed3bb382: /* @__PURE__ */ __name(function(e) {
    return typeof e == "bigint";
  }, "__wbg___wbindgen_is_bigint_b123553bed3bb382"), __wbg___wbindgen_is_function_1f9d30630b8b1d3d: /* @__PURE__ */ __name(function(e) {
    return typeof e == "function";
  }, "__wbg___wbindgen_is_function_1f9d30630b8b1d3d"), __wbg___wbindgen_is_null_e343b7d08827ba72: /* @__PURE__ */ __name(function(e) {
    return e === null;
  }, "__wbg___wbindgen_is_null_e343b7d08827ba72"), __wbg___wbindgen_is_null_or_undefined_f9435d56bdcc06df: /* @__PURE__ */ __name(function(e) {
    return e == null;
  }, "__wbg___wbindgen_is_null_or_undefined_f9435d56bdcc06df"), __wbg___wbindgen_is_object_3c45d4f2dde4e749: /* @__PURE__ */ __name(function(e) {
    let t = e;
    return typeof t == "object" && t !== null;
  }, "__wbg___wbindgen_is_object_3c45d4f2dde4e749"), __wbg___wbindgen_is_undefined_8865fb403f8fe9d8: /* @__PURE__ */ __name(function(e) {
    return e === void 0;
  }, "__wbg___wbindgen_is_undefined_8865fb403f8fe9d8"), __wbg___wbindgen_jsval_eq_02babf21faa37971: /* @__PURE__ */ __name(function(e, t) {
    return e === t;
  }, "__wbg___wbindgen_jsval_eq_02babf21faa37971"), __wbg___wbindgen_jsval_loose_eq_677f21e468d6b461: /* @__PURE__ */ __name(function(e, t) {
    return e == t;
  }, "__wbg___wbindgen_jsval_loose_eq_677f21e468d6b461"), __wbg___wbindgen_number_get_2e0e7dee9f701a71: /* @__PURE__ */ __name(function(e, t) {
    let r = t, i = typeof r == "number" ? r : void 0;
    l().setFloat64(e + 8, f(i) ? 0 : i, true), l().setInt32(e + 0, !f(i), true);
  }, "__wbg___wbindgen_number_get_2e0e7dee9f701a71"), __wbg___wbindgen_reinit_3f79fdb34dee3ea9: /* @__PURE__ */ __name(function() {
    P = true;
  }, "__wbg___wbindgen_reinit_3f79fdb34dee3ea9"), __wbg___wbindgen_string_get_0380ccaa2f57f0d9: /* @__PURE__ */ __name(function(e, t) {
    let r = t, i = typeof r == "string" ? r : void 0;
    var u = f(i) ? 0 : I(i, _.__wbindgen_malloc, _.__wbindgen_realloc), a = d;
    l().setInt32(e + 4, a, true), l().setInt32(e + 0, u, true);
  }, "__wbg___wbindgen_string_get_0380ccaa2f57f0d9"), __wbg___wbindgen_throw_41e9ee4f547fc59a: /* @__PURE__ */ __name(function(e, t) {
    throw new WebAssembly.Exception(L, [new Error(m(e, t))]);
  }, "__wbg___wbindgen_throw_41e9ee4f547fc59a"), __wbg__wbg_cb_unref_dcc1a90847f04c41: /* @__PURE__ */ __name(function(e) {
    e._wbg_cb_unref();
  }, "__wbg__wbg_cb_unref_dcc1a90847f04c41"), __wbg_all_2228d6712e7ddb97: /* @__PURE__ */ __name(function(e) {
    return e.all();
  }, "__wbg_all_2228d6712e7ddb97"), __wbg_batch_6b58fc32d9c19d60: /* @__PURE__ */ __name(function(e, t) {
    return e.batch(t);
  }, "__wbg_batch_6b58fc32d9c19d60"), __wbg_bind_1f842289d2018ed8: /* @__PURE__ */ __name(function(e, t) {
    return e.bind(...t);
  }, "__wbg_bind_1f842289d2018ed8"), __wbg_body_4792166cb351f162: /* @__PURE__ */ __name(function(e) {
    let t = e.body;
    return f(t) ? 0 : w(t);
  }, "__wbg_body_4792166cb351f162"), __wbg_buffer_56ec2905a66f58b9: /* @__PURE__ */ __name(function(e) {
    return e.buffer;
  }, "__wbg_buffer_56ec2905a66f58b9"), __wbg_byobRequest_54f7ce41d584549a: /* @__PURE__ */ __name(function(e) {
    let t = e.byobRequest;
    return f(t) ? 0 : w(t);
  }, "__wbg_byobRequest_54f7ce41d584549a"), __wbg_byteLength_9f985b8373f1f3fe: /* @__PURE__ */ __name(function(e) {
    return e.byteLength;
  }, "__wbg_byteLength_9f985b8373f1f3fe"), __wbg_byteOffset_0bd5a6a03553639c: /* @__PURE__ */ __name(function(e) {
    return e.byteOffset;
  }, "__wbg_byteOffset_0bd5a6a03553639c"), __wbg_call_187d372bd5fdd4aa: /* @__PURE__ */ __name(function(e, t, r) {
    return e.call(t, r);
  }, "__wbg_call_187d372bd5fdd4aa"), __wbg_call_6137034ef55c9d0f: /* @__PURE__ */ __name(function(e, t) {
    return e.call(t);
  }, "__wbg_call_6137034ef55c9d0f"), __wbg_cancel_7c2a08c8db4c73f3: /* @__PURE__ */ __name(function(e) {
    return e.cancel();
  }, "__wbg_cancel_7c2a08c8db4c73f3"), __wbg_cause_19276d032a32d4bd: /* @__PURE__ */ __name(function(e) {
    return e.cause;
  }, "__wbg_cause_19276d032a32d4bd"), __wbg_close_185286988f30f252: /* @__PURE__ */ __name(function(e) {
    e.close();
  }, "__wbg_close_185286988f30f252"), __wbg_close_748f26698dabe269: /* @__PURE__ */ __name(function(e) {
    e.close();
  }, "__wbg_close_748f26698dabe269"), __wbg_constructor_076176ce0f386e16: /* @__PURE__ */ __name(function(e) {
    return e.constructor;
  }, "__wbg_constructor_076176ce0f386e16"), __wbg_done_b41a1d26cdb37fb6: /* @__PURE__ */ __name(function(e) {
    return e.done;
  }, "__wbg_done_b41a1d26cdb37fb6"), __wbg_enqueue_4a01c128f9a0de16: /* @__PURE__ */ __name(function(e, t) {
    e.enqueue(t);
  }, "__wbg_enqueue_4a01c128f9a0de16"), __wbg_entries_fb6397112b1de25f: /* @__PURE__ */ __name(function(e) {
    return Object.entries(e);
  }, "__wbg_entries_fb6397112b1de25f"), __wbg_error_757e9472f8410341: /* @__PURE__ */ __name(function(e, t) {
    let r, i;
    try {
      r = e, i = t, console.error(m(e, t));
    } finally {
      s();
      try {
        _.__wbindgen_free(r, i, 1);
      } catch (u) {
        o(u);
      }
    }
  }, "__wbg_error_757e9472f8410341"), __wbg_error_a30e98d44009f1bb: /* @__PURE__ */ __name(function(e, t) {
    console.error(e, t);
  }, "__wbg_error_a30e98d44009f1bb"), __wbg_error_c9cf3fc2064683a9: /* @__PURE__ */ __name(function(e) {
    console.error(e);
  }, "__wbg_error_c9cf3fc2064683a9"), __wbg_first_3f7220e4ae4ce878: /* @__PURE__ */ __name(function(e, t, r) {
    return e.first(t === 0 ? void 0 : m(t, r));
  }, "__wbg_first_3f7220e4ae4ce878"), __wbg_getReader_e782bd33388a2c7b: /* @__PURE__ */ __name(function(e) {
    return e.getReader();
  }, "__wbg_getReader_e782bd33388a2c7b"), __wbg_get_31af05bd4842a84f: /* @__PURE__ */ __name(function(e, t) {
    return Reflect.get(e, t);
  }, "__wbg_get_31af05bd4842a84f"), __wbg_get_658f6698067d9515: /* @__PURE__ */ __name(function(e, t) {
    return Reflect.get(e, t);
  }, "__wbg_get_658f6698067d9515"), __wbg_get_6c896e0571ddae51: /* @__PURE__ */ __name(function(e, t) {
    return e[t >>> 0];
  }, "__wbg_get_6c896e0571ddae51"), __wbg_get_88983e33467eae60: /* @__PURE__ */ __name(function(e, t) {
    let r = Reflect.get(e, t);
    return f(r) ? 0 : w(r);
  }, "__wbg_get_88983e33467eae60"), __wbg_get_unchecked_288889d017702237: /* @__PURE__ */ __name(function(e, t) {
    return e[t >>> 0];
  }, "__wbg_get_unchecked_288889d017702237"), __wbg_get_with_ref_key_6412cf3094599694: /* @__PURE__ */ __name(function(e, t) {
    return e[t];
  }, "__wbg_get_with_ref_key_6412cf3094599694"), __wbg_instanceId_9b67ff33ae8bef8a: /* @__PURE__ */ __name(function(e) {
    return e.instanceId;
  }, "__wbg_instanceId_9b67ff33ae8bef8a"), __wbg_instanceof_ArrayBuffer_a99f175873e5d9b8: /* @__PURE__ */ __name(function(e) {
    let t;
    try {
      t = e instanceof ArrayBuffer;
    } catch {
      t = false;
    }
    return t;
  }, "__wbg_instanceof_ArrayBuffer_a99f175873e5d9b8"), __wbg_instanceof_Error_80a725f81f2e102d: /* @__PURE__ */ __name(function(e) {
    let t;
    try {
      t = e instanceof Error;
    } catch {
      t = false;
    }
    return t;
  }, "__wbg_instanceof_Error_80a725f81f2e102d"), __wbg_instanceof_Map_b2611749102d7ba3: /* @__PURE__ */ __name(function(e) {
    let t;
    try {
      t = e instanceof Map;
    } catch {
      t = false;
    }
    return t;
  }, "__wbg_instanceof_Map_b2611749102d7ba3"), __wbg_instanceof_Uint8Array_828cef2aaacafc31: /* @__PURE__ */ __name(function(e) {
    let t;
    try {
      t = e instanceof Uint8Array;
    } catch {
      t = false;
    }
    return t;
  }, "__wbg_instanceof_Uint8Array_828cef2aaacafc31"), __wbg_isArray_e15a2ff68ffdbef2: /* @__PURE__ */ __name(function(e) {
    return Array.isArray(e);
  }, "__wbg_isArray_e15a2ff68ffdbef2"), __wbg_isSafeInteger_717808ad6a54bd9e: /* @__PURE__ */ __name(function(e) {
    return Number.isSafeInteger(e);
  }, "__wbg_isSafeInteger_717808ad6a54bd9e"), __wbg_iterator_e3c31c892080e444: /* @__PURE__ */ __name(function() {
    return Symbol.iterator;
  }, "__wbg_iterator_e3c31c892080e444"), __wbg_length_7f3c00c40364105e: /* @__PURE__ */ __name(function(e) {
    return e.length;
  }, "__wbg_length_7f3c00c40364105e"), __wbg_length_d4bdea10311bd9cf: /* @__PURE__ */ __name(function(e) {
    return e.length;
  }, "__wbg_length_d4bdea10311bd9cf"), __wbg_log_17c30ef363c61cf4: /* @__PURE__ */ __name(function(e) {
    console.log(e);
  }, "__wbg_log_17c30ef363c61cf4"), __wbg_message_5f8387f0c32b90a7: /* @__PURE__ */ __name(function(e) {
    return e.message;
  }, "__wbg_message_5f8387f0c32b90a7"), __wbg_name_e2eac7cdfa054f65: /* @__PURE__ */ __name(function(e) {
    return e.name;
  }, "__wbg_name_e2eac7cdfa054f65"), __wbg_name_f9b814d78e8e299f: /* @__PURE__ */ __name(function(e) {
    return e.name;
  }, "__wbg_name_f9b814d78e8e299f"), __wbg_new_1dbf7428bba60a42: /* @__PURE__ */ __name(function(e) {
    return new Uint8Array(e);
  }, "__wbg_new_1dbf7428bba60a42"), __wbg_new_227d7c05414eb861: /* @__PURE__ */ __name(function() {
    return new Error();
  }, "__wbg_new_227d7c05414eb861"), __wbg_new_343a093a3c2ffb4e: /* @__PURE__ */ __name(function(e, t) {
    return new Error(m(e, t));
  }, "__wbg_new_343a093a3c2ffb4e"), __wbg_new_ee2291f50781bf1d: /* @__PURE__ */ __name(function() {
    return new Array();
  }, "__wbg_new_ee2291f50781bf1d"), __wbg_new_typed_b01cb72a8af741a3: /* @__PURE__ */ __name(function(e, t) {
    try {
      var r = { a: e, b: t }, i = /* @__PURE__ */ __name((a, b) => {
        let g = r.a;
        r.a = 0;
        try {
          return fe(g, r.b, a, b);
        } finally {
          r.a = g;
        }
      }, "i");
      return new Promise(i);
    } finally {
      r.a = 0;
    }
  }, "__wbg_new_typed_b01cb72a8af741a3"), __wbg_new_with_byte_offset_and_length_2f5d7fc2a828b74d: /* @__PURE__ */ __name(function(e, t, r) {
    return new Uint8Array(e, t >>> 0, r >>> 0);
  }, "__wbg_new_with_byte_offset_and_length_2f5d7fc2a828b74d"), __wbg_next_33784799010f1bbe: /* @__PURE__ */ __name(function(e) {
    return e.next;
  }, "__wbg_next_33784799010f1bbe"), __wbg_next_f4aac29c42af995c: /* @__PURE__ */ __name(function(e) {
    return e.next();
  }, "__wbg_next_f4aac29c42af995c"), __wbg_now_aa4ccb83129e9e55: /* @__PURE__ */ __name(function() {
    return Date.now();
  }, "__wbg_now_aa4ccb83129e9e55"), __wbg_prepare_6fe68a8990920f81: /* @__PURE__ */ __name(function(e, t, r) {
    return e.prepare(m(t, r));
  }, "__wbg_prepare_6fe68a8990920f81"), __wbg_prototypesetcall_bc27214492979395: /* @__PURE__ */ __name(function(e, t, r) {
    Uint8Array.prototype.set.call(N(e, t), r);
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
  }, "__wbg_respond_c102fabcc79e5ef0"), __wbg_results_a5533c886ed43a9a: /* @__PURE__ */ __name(function(e) {
    let t = e.results;
    return f(t) ? 0 : w(t);
  }, "__wbg_results_a5533c886ed43a9a"), __wbg_set_575d3ddb70fe831d: /* @__PURE__ */ __name(function(e, t, r) {
    e.set(N(t, r));
  }, "__wbg_set_575d3ddb70fe831d"), __wbg_set_criticalError_3904d60fe2a0b05b: /* @__PURE__ */ __name(function(e, t) {
    e.criticalError = t !== 0;
  }, "__wbg_set_criticalError_3904d60fe2a0b05b"), __wbg_set_instanceId_9ad5caac0a4e519c: /* @__PURE__ */ __name(function(e, t) {
    e.instanceId = t >>> 0;
  }, "__wbg_set_instanceId_9ad5caac0a4e519c"), __wbg_stack_3b0d974bbf31e44f: /* @__PURE__ */ __name(function(e, t) {
    let r = t.stack, i = I(r, _.__wbindgen_malloc, _.__wbindgen_realloc), u = d;
    l().setInt32(e + 4, u, true), l().setInt32(e + 0, i, true);
  }, "__wbg_stack_3b0d974bbf31e44f"), __wbg_static_accessor_GLOBAL_266715b9d96ba635: /* @__PURE__ */ __name(function() {
    let e = typeof global > "u" ? null : global;
    return f(e) ? 0 : w(e);
  }, "__wbg_static_accessor_GLOBAL_266715b9d96ba635"), __wbg_static_accessor_GLOBAL_THIS_10fb7dc1ae063179: /* @__PURE__ */ __name(function() {
    let e = typeof globalThis > "u" ? null : globalThis;
    return f(e) ? 0 : w(e);
  }, "__wbg_static_accessor_GLOBAL_THIS_10fb7dc1ae063179"), __wbg_static_accessor_INIT_STATE_e3fce2ad8a08e94e: /* @__PURE__ */ __name(function() {
    return G;
  }, "__wbg_static_accessor_INIT_STATE_e3fce2ad8a08e94e"), __wbg_static_accessor_SELF_0b583911f537483a: /* @__PURE__ */ __name(function() {
    let e = typeof self > "u" ? null : self;
    return f(e) ? 0 : w(e);
  }, "__wbg_static_accessor_SELF_0b583911f537483a"), __wbg_static_accessor_WINDOW_d7f903d1508cbdc4: /* @__PURE__ */ __name(function() {
    let e = typeof window > "u" ? null : window;
    return f(e) ? 0 : w(e);
  }, "__wbg_static_accessor_WINDOW_d7f903d1508cbdc4"), __wbg_stringify_52ff602c1cc4fbb6: /* @__PURE__ */ __name(function(e) {
    return JSON.stringify(e);
  }, "__wbg_stringify_52ff602c1cc4fbb6"), __wbg_then_c949d5a25a4e78f8: /* @__PURE__ */ __name(function(e, t, r) {
    return e.then(t, r);
  }, "__wbg_then_c949d5a25a4e78f8"), __wbg_then_e71170d78fcf8954: /* @__PURE__ */ __name(function(e, t) {
    return e.then(t);
  }, "__wbg_then_e71170d78fcf8954"), __wbg_value_f3c585ee8f5ba40c: /* @__PURE__ */ __name(function(e) {
    return e.value;
  }, "__wbg_value_f3c585ee8f5ba40c"), __wbg_view_9c570f33e8d6ab96: /* @__PURE__ */ __name(function(e) {
    let t = e.view;
    return f(t) ? 0 : w(t);
  }, "__wbg_view_9c570f33e8d6ab96"), __wbindgen_generic_0000000000000001: /* @__PURE__ */ __name(function(e, t) {
    return he(e, t, ae);
  }, "__wbindgen_generic_0000000000000001"), __wbindgen_generic_0000000000000002: /* @__PURE__ */ __name(function(e) {
    return e;
  }, "__wbindgen_generic_0000000000000002"), __wbindgen_generic_0000000000000003: /* @__PURE__ */ __name(function(e) {
    return e;
  }, "__wbindgen_generic_0000000000000003"), __wbindgen_generic_0000000000000004: /* @__PURE__ */ __name(function(e, t) {
    return m(e, t);
  }, "__wbindgen_generic_0000000000000004"), __wbindgen_generic_0000000000000005: /* @__PURE__ */ __name(function(e) {
    return BigInt.asUintN(64, e);
  }, "__wbindgen_generic_0000000000000005"), __wbindgen_init_externref_table: /* @__PURE__ */ __name(function() {
    let e = _.__wbindgen_externrefs, t = e.grow(4);
    e.set(0, void 0), e.set(t + 0, void 0), e.set(t + 1, null), e.set(t + 2, true), e.set(t + 3, false);
  }, "__wbindgen_init_externref_table"), __wbindgen_jstag: WebAssembly.JSTag, __wbindgen_rethrow_critical: /* @__PURE__ */ __name(function(e) {
    throw new Error("Critical error", { cause: e });
  }, "__wbindgen_rethrow_critical") } };
}
__name(re, "re");
var L = new WebAssembly.Tag({ parameters: ["externref"] });
var U;
var B = false;
function _e() {
  B = true;
  try {
    let n = $()[_.__abort_handler.value / 4];
    n && _.__wbindgen_export.get(n)();
  } catch {
  }
}
__name(_e, "_e");
function o(n) {
  throw n instanceof WebAssembly.Exception && n.is(L) ? n.getArg(L, 0) : ($()[U] = 1, _e(), n);
}
__name(o, "o");
function s() {
  if (U ??= _.__instance_terminated.value / 4, $()[U]) {
    if (B || _e(), P) {
      O();
      return;
    }
    throw new Error("Module terminated");
  } else P && O();
}
__name(s, "s");
function ae(n, e, t) {
  let r;
  s();
  try {
    r = _.wasm_bindgen__convert__closures_____invoke__hca35663d50152488(n, e, t);
  } catch (i) {
    o(i);
  }
  if (r[1]) throw xe(r[0]);
}
__name(ae, "ae");
function fe(n, e, t, r) {
  s();
  try {
    _.wasm_bindgen__convert__closures_____invoke__h0e7e9b2ab26c597e(n, e, t, r);
  } catch (i) {
    o(i);
  }
}
__name(fe, "fe");
var ue = ["bytes"];
var c = 0;
var be = typeof FinalizationRegistry > "u" ? { register: /* @__PURE__ */ __name(() => {
}, "register"), unregister: /* @__PURE__ */ __name(() => {
}, "unregister") } : new FinalizationRegistry(({ ptr: n, instance: e }) => {
  e === c && _.__wbg_containerstartupoptions_free(n, 1);
});
var ge = typeof FinalizationRegistry > "u" ? { register: /* @__PURE__ */ __name(() => {
}, "register"), unregister: /* @__PURE__ */ __name(() => {
}, "unregister") } : new FinalizationRegistry(({ ptr: n, instance: e }) => {
  e === c && _.__wbg_intounderlyingbytesource_free(n, 1);
});
var de = typeof FinalizationRegistry > "u" ? { register: /* @__PURE__ */ __name(() => {
}, "register"), unregister: /* @__PURE__ */ __name(() => {
}, "unregister") } : new FinalizationRegistry(({ ptr: n, instance: e }) => {
  e === c && _.__wbg_intounderlyingsink_free(n, 1);
});
var le = typeof FinalizationRegistry > "u" ? { register: /* @__PURE__ */ __name(() => {
}, "register"), unregister: /* @__PURE__ */ __name(() => {
}, "unregister") } : new FinalizationRegistry(({ ptr: n, instance: e }) => {
  e === c && _.__wbg_intounderlyingsource_free(n, 1);
});
var we = typeof FinalizationRegistry > "u" ? { register: /* @__PURE__ */ __name(() => {
}, "register"), unregister: /* @__PURE__ */ __name(() => {
}, "unregister") } : new FinalizationRegistry(({ ptr: n, instance: e }) => {
  e === c && _.__wbg_minifyconfig_free(n, 1);
});
var ye = typeof FinalizationRegistry > "u" ? { register: /* @__PURE__ */ __name(() => {
}, "register"), unregister: /* @__PURE__ */ __name(() => {
}, "unregister") } : new FinalizationRegistry(({ ptr: n, instance: e }) => {
  e === c && _.__wbg_r2range_free(n, 1);
});
function w(n) {
  let e = _.__externref_table_alloc();
  return _.__wbindgen_externrefs.set(e, n), e;
}
__name(w, "w");
var K = typeof FinalizationRegistry > "u" ? { register: /* @__PURE__ */ __name(() => {
}, "register"), unregister: /* @__PURE__ */ __name(() => {
}, "unregister") } : new FinalizationRegistry((n) => {
  n.instance === c && _.__wbindgen_destroy_closure(n.a, n.b);
});
function D(n) {
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
    i > 0 && (u += D(n[0]));
    for (let a = 1; a < i; a++) u += ", " + D(n[a]);
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
__name(D, "D");
function pe(n, e) {
  n = n >>> 0;
  let t = l(), r = [];
  for (let i = n; i < n + 4 * e; i += 4) r.push(_.__wbindgen_externrefs.get(t.getUint32(i, true)));
  return _.__externref_drop_slice(n, e), r;
}
__name(pe, "pe");
function N(n, e) {
  return n = n >>> 0, x().subarray(n / 1, n / 1 + e);
}
__name(N, "N");
var v = null;
function l() {
  return (v === null || v.buffer.detached === true || v.buffer.detached === void 0 && v.buffer !== _.memory.buffer) && (v = new DataView(_.memory.buffer)), v;
}
__name(l, "l");
var k = null;
function $() {
  return (k === null || k.byteLength === 0) && (k = new Int32Array(_.memory.buffer)), k;
}
__name($, "$");
function m(n, e) {
  return Ie(n >>> 0, e);
}
__name(m, "m");
var A = null;
function x() {
  return (A === null || A.byteLength === 0) && (A = new Uint8Array(_.memory.buffer)), A;
}
__name(x, "x");
function f(n) {
  return n == null;
}
__name(f, "f");
function he(n, e, t) {
  let r = { a: n, b: e, cnt: 1, instance: c }, i = /* @__PURE__ */ __name((...u) => {
    if (r.instance !== c) throw new Error("Cannot invoke closure from previous WASM instance");
    r.cnt++;
    let a = r.a;
    r.a = 0;
    try {
      return t(a, r.b, ...u);
    } finally {
      r.a = a, i._wbg_cb_unref();
    }
  }, "i");
  return i._wbg_cb_unref = () => {
    --r.cnt === 0 && (_.__wbindgen_destroy_closure(r.a, r.b), r.a = 0, K.unregister(r));
  }, K.register(i, r, r), i;
}
__name(he, "he");
function me(n, e) {
  let t = e(n.length * 1, 1) >>> 0;
  return x().set(n, t / 1), d = n.length, t;
}
__name(me, "me");
function ve(n, e) {
  let t = e(n.length * 4, 4) >>> 0;
  for (let r = 0; r < n.length; r++) {
    let i = w(n[r]);
    l().setUint32(t + 4 * r, i, true);
  }
  return d = n.length, t;
}
__name(ve, "ve");
function I(n, e, t) {
  if (t === void 0) {
    let b = S.encode(n), g = e(b.length, 1) >>> 0;
    return x().subarray(g, g + b.length).set(b), d = b.length, g;
  }
  let r = n.length, i = e(r, 1) >>> 0, u = x(), a = 0;
  for (; a < r; a++) {
    let b = n.charCodeAt(a);
    if (b > 127) break;
    u[i + a] = b;
  }
  if (a !== r) {
    a !== 0 && (n = n.slice(a)), i = t(i, r, r = a + n.length * 3, 1) >>> 0;
    let b = x().subarray(i + a, i + r), g = S.encodeInto(n, b);
    a += g.written, i = t(i, r, a, 1) >>> 0;
  }
  return d = a, i;
}
__name(I, "I");
var P = false;
function xe(n) {
  let e = _.__wbindgen_externrefs.get(n);
  return _.__externref_table_dealloc(n), e;
}
__name(xe, "xe");
var ie = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });
ie.decode();
function Ie(n, e) {
  return ie.decode(x().subarray(n, n + e));
}
__name(Ie, "Ie");
var S = new TextEncoder();
"encodeInto" in S || (S.encodeInto = function(n, e) {
  let t = S.encode(n);
  return e.set(t), { read: n.length, written: t.length };
});
var d = 0;
var q = new WebAssembly.Instance(Q, re());
var _ = q.exports;
_.__wbindgen_start();
Error.stackTraceLimit = 100;
var y = X();
function V() {
  y.criticalError && (console.log("Reinitializing Wasm application"), O(), y.criticalError = false, y.instanceId++);
}
__name(V, "V");
addEventListener("error", (n) => {
  J(n.error);
});
function J(n) {
  n instanceof WebAssembly.RuntimeError && (console.error("Critical", n), y.criticalError = true);
}
__name(J, "J");
var p = class extends Fe {
  static {
    __name(this, "p");
  }
};
p.prototype.edgegate_body_budget = Y;
p.prototype.edgegate_fetch = Z;
p.prototype.edgegate_revive = ee;
p.prototype.edgegate_take_body = te;
p.prototype.start = ne;
var Re = { set: /* @__PURE__ */ __name((n, e, t, r) => Reflect.set(n.instance, e, t, r), "set"), has: /* @__PURE__ */ __name((n, e) => Reflect.has(n.instance, e), "has"), deleteProperty: /* @__PURE__ */ __name((n, e) => Reflect.deleteProperty(n.instance, e), "deleteProperty"), apply: /* @__PURE__ */ __name((n, e, t) => Reflect.apply(n.instance, e, t), "apply"), construct: /* @__PURE__ */ __name((n, e, t) => Reflect.construct(n.instance, e, t), "construct"), getPrototypeOf: /* @__PURE__ */ __name((n) => Reflect.getPrototypeOf(n.instance), "getPrototypeOf"), setPrototypeOf: /* @__PURE__ */ __name((n, e) => Reflect.setPrototypeOf(n.instance, e), "setPrototypeOf"), isExtensible: /* @__PURE__ */ __name((n) => Reflect.isExtensible(n.instance), "isExtensible"), preventExtensions: /* @__PURE__ */ __name((n) => Reflect.preventExtensions(n.instance), "preventExtensions"), getOwnPropertyDescriptor: /* @__PURE__ */ __name((n, e) => Reflect.getOwnPropertyDescriptor(n.instance, e), "getOwnPropertyDescriptor"), defineProperty: /* @__PURE__ */ __name((n, e, t) => Reflect.defineProperty(n.instance, e, t), "defineProperty"), ownKeys: /* @__PURE__ */ __name((n) => Reflect.ownKeys(n.instance), "ownKeys") };
var C = { construct(n, e, t) {
  try {
    V();
    let r = { instance: Reflect.construct(n, e, t), instanceId: y.instanceId, ctor: n, args: e, newTarget: t };
    return new Proxy(r, { ...Re, get(i, u, a) {
      i.instanceId !== y.instanceId && (i.instance = Reflect.construct(i.ctor, i.args, i.newTarget), i.instanceId = y.instanceId);
      let b = Reflect.get(i.instance, u, a);
      return typeof b != "function" ? b : b.constructor === Function ? new Proxy(b, { apply(g, W, j) {
        V();
        try {
          return g.apply(W, j);
        } catch (h) {
          throw J(h), h;
        }
      } }) : new Proxy(b, { async apply(g, W, j) {
        V();
        try {
          return await g.apply(W, j);
        } catch (h) {
          throw J(h), h;
        }
      } });
    } });
  } catch (r) {
    throw y.criticalError = true, r;
  }
} };
var Se = new Proxy(p, C);
var ze = new Proxy(E, C);
var Te = new Proxy(F, C);
var Me = new Proxy(R, C);

// worker/entry.js
var {
  edgegate_fetch: handle,
  edgegate_body_budget: bodyBudget,
  edgegate_take_body: takeBody,
  edgegate_revive: revive
} = Se.prototype;
var REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
var inFlight = /* @__PURE__ */ new Set();
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
      }
      let headers = "";
      for (const [name, value] of request.headers) headers += name + "\n" + value + "\n";
      let body;
      let stream;
      if (request.body !== null) {
        if (budget < 0) budget = bodyBudget(env);
        const declared = request.headers.get("content-length");
        if (declared !== null && +declared <= budget) body = new Uint8Array(await request.arrayBuffer());
        else stream = request;
      }
      const out = handle(request.method, request.url, headers, body, stream, env);
      return decode(typeof out === "string" ? out : await waitFor(out));
    } catch (error) {
      if (error instanceof WebAssembly.RuntimeError) aborted = true;
      return failure(request, error);
    }
  }
};
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
function decode(out) {
  let end = out.indexOf("\n");
  const binary = out.charCodeAt(end - 1) === 98;
  const status = parseInt(out, 10);
  const headers = [];
  while (out.charCodeAt(end + 1) !== 10) {
    const name = out.indexOf("\n", end + 1);
    const value = out.indexOf("\n", name + 1);
    headers.push([out.slice(end + 1, name), out.slice(name + 1, value)]);
    end = value;
  }
  const text = out.slice(end + 2);
  const body = binary ? takeBody() : text === "" ? null : text;
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
