/*
 * Tests of user code called from C systems (sim/userfn.h, lua/binding/luserfn.c):
 * a Lua function given in a system's options reaches C as a handle, runs as the
 * calling node with the node's budget, and its failures (errors, budget, results
 * that are no message) come back as one line while the run goes on; chunks
 * loaded at run time get their own globals; gas is deterministic.
 *
 * Each test builds a run the way `dsim run` does (sim + Lua runtime), defines
 * user code with a scenario chunk, and calls it from a C node handler.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "lua/binding/lrt.h"
#include "sim/userfn.h"

typedef struct fixture {
    sim *s;
    lrt *rt;
    sim_node *node;                 /* the C node the calls run as */
} fixture;

/* A C program whose start handler only remembers its node, for the calls below. */
static sim_node *started;
static void remember(sim_node *node, void *state) { started = node; }
static const sim_program caller_program = { "caller", 0, remember, NULL, NULL, NULL };

static void setup(fixture *f)
{
    sim_options so = { 7, 4, 64 };
    f->s = sim_create(&so);
    ck_assert_ptr_nonnull(f->s);
    char err[256];
    f->rt = lrt_create(f->s, NULL, "(test)", err, sizeof(err));
    ck_assert_msg(f->rt != NULL, "%s", err);
    sim_node_id id;
    ck_assert_int_eq(sim_node_add(f->s, "w1", &caller_program, NULL, 0, &id), 0);
    started = NULL;
    sim_run_until(f->s, 0);
    ck_assert_ptr_nonnull(started);
    f->node = started;
}

static void teardown(fixture *f)
{
    f->rt->closing = true;
    sim_destroy(f->s);
    lrt_destroy(f->rt);
}

/* Runs scenario code that returns a table of options; returns the JSON that a
 * system's configure() would get (functions as handles). */
static cJSON *options_of(fixture *f, const char *code)
{
    lua_State *L = f->rt->L;
    ck_assert_int_eq(luaL_loadbufferx(L, code, strlen(code), "=scenario.lua", "t"), LUA_OK);
    ck_assert_msg(lrt_pcall(f->rt, 0, 1, LRT_CTX_SCENARIO, NULL, "test") == LUA_OK, "%s", f->rt->errmsg);
    lrt_userfn_strip(L, -1);
    lrt_encode(L, -1, &f->rt->buf);
    lua_pop(L, 2);
    return cJSON_ParseWithLength(f->rt->buf.data, f->rt->buf.len);
}

static int call(fixture *f, const char *handle, const char *method, const char *args_json, int64_t budget,
                char *out, size_t outlen, int64_t *used, char *err, size_t errlen)
{
    cJSON *args = args_json ? cJSON_Parse(args_json) : NULL;
    cJSON *res = NULL;
    int rc = sim_userfn_call(f->node, handle, method, args, budget, &res, used, err, errlen);
    cJSON_Delete(args);
    out[0] = 0;
    if (res) {
        char *t = cJSON_PrintUnformatted(res);
        snprintf(out, outlen, "%s", t);
        cJSON_free(t);
        cJSON_Delete(res);
    }
    return rc;
}

START_TEST(test_options_function_called_with_json)
{
    fixture f;
    setup(&f);
    cJSON *o = options_of(&f, "return {map = function(k, v) return k .. '!', #v, {n = v[1]} end, size = 3,"
                              " nested = {reduce = function(...) return select('#', ...) end}}");
    const char *map = cJSON_GetObjectItem(o, "map")->valuestring;
    ck_assert(sim_userfn_is_handle(map));
    ck_assert_int_eq(cJSON_GetObjectItem(o, "size")->valueint, 3);
    char out[256], err[256];
    ck_assert_int_eq(call(&f, map, NULL, "[\"word\", [5, 6]]", 0, out, sizeof(out), NULL, err, sizeof(err)), 0);
    ck_assert_str_eq(out, "[\"word!\",2,{\"n\":5}]");
    const char *reduce = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "nested"), "reduce")->valuestring;
    ck_assert_int_eq(call(&f, reduce, NULL, "[1, 2, 3]", 0, out, sizeof(out), NULL, err, sizeof(err)), 0);
    ck_assert_str_eq(out, "[3]");
    cJSON_Delete(o);
    teardown(&f);
}
END_TEST

START_TEST(test_errors_come_back_as_one_line)
{
    fixture f;
    setup(&f);
    cJSON *o = options_of(&f, "return {\n"
                              "  bad = function(x) return x.y.z end,\n"
                              "  loop = function() while true do end end,\n"
                              "  fn = function() return function() end end,\n"
                              "  power = function() return require('dsim').crash('w1') end }");
    char out[256], err[256];
    const char *bad = cJSON_GetObjectItem(o, "bad")->valuestring;
    ck_assert_int_eq(call(&f, bad, NULL, "[{}]", 0, out, sizeof(out), NULL, err, sizeof(err)), SIM_EINVAL);
    ck_assert_msg(strstr(err, "scenario.lua:2:") != NULL, "%s", err);
    ck_assert_ptr_null(strchr(err, '\n'));
    const char *loop = cJSON_GetObjectItem(o, "loop")->valuestring;
    ck_assert_int_eq(call(&f, loop, NULL, NULL, 50000, out, sizeof(out), NULL, err, sizeof(err)), SIM_EINVAL);
    ck_assert_msg(strstr(err, "instruction budget exceeded") != NULL, "%s", err);
    const char *fn = cJSON_GetObjectItem(o, "fn")->valuestring;
    ck_assert_int_eq(call(&f, fn, NULL, NULL, 0, out, sizeof(out), NULL, err, sizeof(err)), SIM_EINVAL);
    ck_assert_msg(strstr(err, "cannot encode a function") != NULL, "%s", err);
    const char *power = cJSON_GetObjectItem(o, "power")->valuestring;
    ck_assert_int_eq(call(&f, power, NULL, NULL, 0, out, sizeof(out), NULL, err, sizeof(err)), SIM_EINVAL);
    ck_assert_msg(strstr(err, "cannot be called from a node program") != NULL, "%s", err);
    /* The run goes on: a good call after the failures still works. */
    ck_assert_int_eq(call(&f, bad, NULL, "[{\"y\": {\"z\": 4}}]", 0, out, sizeof(out), NULL, err, sizeof(err)), 0);
    ck_assert_str_eq(out, "[4]");
    ck_assert_int_eq(call(&f, "lua-function:999", NULL, NULL, 0, out, sizeof(out), NULL, err, sizeof(err)),
                     SIM_EINVAL);
    ck_assert_int_eq(call(&f, "not a handle", NULL, NULL, 0, out, sizeof(out), NULL, err, sizeof(err)), SIM_EINVAL);
    cJSON_Delete(o);
    teardown(&f);
}
END_TEST

START_TEST(test_loaded_chunks_have_own_globals_and_gas)
{
    fixture f;
    setup(&f);
    const char *src = "count = 0\n"
                      "local c = {}\n"
                      "function c.bump(n) for i = 1, n do count = count + 1 end return count end\n"
                      "return c\n";
    char h1[64], h2[64], out[256], err[256];
    ck_assert_int_eq(sim_userfn_load(f.node, "token.lua", src, strlen(src), 0, h1, sizeof(h1), err, sizeof(err)), 0);
    ck_assert_int_eq(sim_userfn_load(f.node, "token.lua", src, strlen(src), 0, h2, sizeof(h2), err, sizeof(err)), 0);
    int64_t gas_a = 0, gas_b = 0;
    ck_assert_int_eq(call(&f, h1, "bump", "[20000]", 0, out, sizeof(out), &gas_a, err, sizeof(err)), 0);
    ck_assert_str_eq(out, "[20000]");
    ck_assert_int_eq(call(&f, h2, "bump", "[20000]", 0, out, sizeof(out), &gas_b, err, sizeof(err)), 0);
    ck_assert_str_eq(out, "[20000]");           /* h2's count is its own */
    ck_assert_int_gt(gas_a, 0);
    ck_assert_int_eq(gas_a, gas_b);
    lua_getglobal(f.rt->L, "count");
    ck_assert(lua_isnil(f.rt->L, -1));           /* nor the sandbox's */
    lua_pop(f.rt->L, 1);
    ck_assert_int_eq(call(&f, h1, "nosuch", NULL, 0, out, sizeof(out), NULL, err, sizeof(err)), SIM_EINVAL);
    ck_assert_int_eq(sim_userfn_load(f.node, "bad.lua", "return (", 8, 0, h1, sizeof(h1), err, sizeof(err)),
                     SIM_EINVAL);
    ck_assert_msg(strstr(err, "bad.lua:1:") != NULL, "%s", err);
    ck_assert_int_eq(sim_userfn_load(f.node, "num.lua", "return 5", 8, 0, h1, sizeof(h1), err, sizeof(err)),
                     SIM_EINVAL);
    static const char bytecode[] = "\x1bLua";
    ck_assert_int_eq(sim_userfn_load(f.node, "bin", bytecode, 4, 0, h1, sizeof(h1), err, sizeof(err)), SIM_EINVAL);
    teardown(&f);
}
END_TEST

START_TEST(test_no_host_is_an_error)
{
    sim_options so = { 7, 4, 64 };
    sim *s = sim_create(&so);
    sim_node_id id;
    started = NULL;
    ck_assert_int_eq(sim_node_add(s, "w1", &caller_program, NULL, 0, &id), 0);
    sim_run_until(s, 0);
    cJSON *res = NULL;
    char err[256];
    ck_assert_int_eq(sim_userfn_call(started, "lua-function:1", NULL, NULL, 0, &res, NULL, err, sizeof(err)),
                     SIM_ESTATE);
    ck_assert_ptr_null(res);
    ck_assert_msg(strstr(err, "Lua scenario") != NULL, "%s", err);
    sim_destroy(s);
}
END_TEST

Suite *userfn_suite(void);
Suite *userfn_suite(void)
{
    Suite *s = suite_create("userfn");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_options_function_called_with_json);
    tcase_add_test(core, test_loaded_chunks_have_own_globals_and_gas);
    suite_add_tcase(s, core);
    TCase *faults = tcase_create("faults");
    tcase_add_test(faults, test_errors_come_back_as_one_line);
    tcase_add_test(faults, test_no_host_is_an_error);
    suite_add_tcase(s, faults);
    return s;
}
