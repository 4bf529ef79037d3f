/*
 * The canonical JSON encoder (see sim/msg.h). cJSON's own printer keeps keys in
 * insertion order and prints numbers through "%1.15g", so it is not canonical;
 * this writer sorts keys and formats numbers itself.
 */
#include "sim/msg.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct buf {
    char *data;
    size_t len, cap;
    bool failed;
} buf;

static void put(buf *b, const char *text, size_t n)
{
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (b->len + n + 1 > cap) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) {
            b->failed = true;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, text, n);
    b->len += n;
    b->data[b->len] = 0;
}

static void put_str(buf *b, const char *s) { put(b, s, strlen(s)); }

static void put_quoted(buf *b, const char *s)
{
    put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            put(b, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof(esc), "\\u%04x", *p);
            put_str(b, esc);
        } else {
            put(b, (const char *)p, 1);
        }
    }
    put(b, "\"", 1);
}

static void put_number(buf *b, double d)
{
    char text[40];
    if (!isfinite(d)) snprintf(text, sizeof(text), "null");
    else if (d == floor(d) && fabs(d) < 9007199254740992.0)
        snprintf(text, sizeof(text), "%" PRId64, (int64_t)d);
    else snprintf(text, sizeof(text), "%.17g", d);
    put_str(b, text);
}

static int key_order(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

static void encode(buf *b, const cJSON *v);

static void encode_object(buf *b, const cJSON *v)
{
    size_t n = 0;
    for (const cJSON *c = v->child; c; c = c->next) n++;
    const cJSON **kids = malloc((n ? n : 1) * sizeof(*kids));
    if (!kids) {
        b->failed = true;
        return;
    }
    n = 0;
    for (const cJSON *c = v->child; c; c = c->next) kids[n++] = c;
    qsort(kids, n, sizeof(*kids), key_order);
    put(b, "{", 1);
    for (size_t i = 0; i < n; i++) {
        if (i) put(b, ",", 1);
        put_quoted(b, kids[i]->string ? kids[i]->string : "");
        put(b, ":", 1);
        encode(b, kids[i]);
    }
    put(b, "}", 1);
    free(kids);
}

static void encode(buf *b, const cJSON *v)
{
    if (cJSON_IsObject(v)) {
        encode_object(b, v);
    } else if (cJSON_IsArray(v)) {
        put(b, "[", 1);
        for (const cJSON *c = v->child; c; c = c->next) {
            if (c != v->child) put(b, ",", 1);
            encode(b, c);
        }
        put(b, "]", 1);
    } else if (cJSON_IsString(v)) {
        put_quoted(b, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        put_number(b, v->valuedouble);
    } else if (cJSON_IsTrue(v)) {
        put_str(b, "true");
    } else if (cJSON_IsFalse(v)) {
        put_str(b, "false");
    } else {
        put_str(b, "null");
    }
}

char *sim_json_encode(const cJSON *v)
{
    buf b = { NULL, 0, 0, false };
    encode(&b, v);
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    return b.data;
}

int sim_json_send(sim_node *node, sim_node_id to, const cJSON *msg)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(msg, "type");
    char *text = sim_json_encode(msg);
    if (!text) return SIM_ENOMEM;
    int rc = sim_send(node, to, cJSON_IsString(type) ? type->valuestring : "msg", text, strlen(text));
    free(text);
    return rc;
}

cJSON *sim_json_parse(const sim_msg *msg)
{
    return msg->body_len ? cJSON_ParseWithLength((const char *)msg->body, msg->body_len) : NULL;
}

int64_t sim_json_int(const cJSON *msg, const char *key, int64_t fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(msg, key);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : fallback;
}

bool sim_json_get_int(const cJSON *msg, const char *key, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(msg, key);
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble) return false;
    *out = (int64_t)v->valuedouble;
    return true;
}

char *sim_json_field_text(const cJSON *msg, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(msg, key);
    return v ? sim_json_encode(v) : NULL;
}

void sim_json_add_text(cJSON *obj, const char *key, const char *text)
{
    if (text) cJSON_AddItemToObject(obj, key, cJSON_Parse(text));
}
