/*
 * The textbook runs. Every code block of the chapters listed in `chapters` below
 * is executed or compared with the files it shows, so a chapter cannot go stale:
 * when a command's output, an exit code or a program changes, this suite fails and
 * names the chapter's line.
 *
 * THE CONVENTION. Every fenced code block (``` ... ```) of a chapter is preceded
 * by a marker, an HTML comment on a line of its own (blank lines may come between
 * the marker and the block; nothing else may). Markdown viewers do not show it.
 *
 *   <!-- test: run -->            a terminal session, in a ```console block
 *   <!-- test: run exit=N -->     the same, where each command exits with N
 *   <!-- test: file PATH -->      the block is the file PATH, byte for byte, and
 *                                 `dsim run PATH` exits 0
 *   <!-- test: file PATH exit=N -->   ... and `dsim run PATH` exits with N
 *   <!-- test: excerpt PATH -->   the block's lines appear, one after another, in PATH
 *   <!-- test: none (REASON) -->  not tested; the reason in parentheses is required
 *                                 (e.g. `make run`, which installs packages)
 *
 * A code block without a marker, a marker without a block, an unknown or malformed
 * marker, a ~~~ fence and an indented code block are each reported as a problem.
 *
 * A `run` block, line by line:
 *   - "$ COMMAND" is a command. The commands of a chapter run in order, through
 *     /bin/sh, with stdout and stderr together, in one fresh working folder per
 *     chapter that looks like the repository root: ./dsim is the binary under test
 *     ($DSIM, default ./dsim), and textbook/, scenarios/, lua/ and tests/ are links to the
 *     repository's. So `./dsim run textbook/code/echo.lua --trace t.jsonl` works as
 *     a student types it, and t.jsonl stays there for a later `head t.jsonl`.
 *   - The lines after a command, up to the next "$ ", are its output, and must be
 *     ALL of its output, except that a line "..." stands for any number of lines
 *     (none included) and "..." inside a line for any text within that line. No
 *     lines at all means no output. Trailing blanks are ignored on both sides.
 *   - Each command must exit with the block's exit=N (default 0), unless the next
 *     command is "$ echo $?": that one is not run; the line after it must be the
 *     exit code of the command before it (which is then the only check of it).
 *
 * Besides the chapters, this suite checks that each answer in textbook/code/answers/
 * passes `dsim sweep ANSWER --seeds 1..50` and has its exercise beside it, that
 * every program in textbook/code/ is named by a chapter, and (selftest) that the
 * checker itself reports each kind of drift it exists to catch.
 */
#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/cli.h"

static const char *const chapters[] = {
    "textbook/00-getting-started.md",
    "textbook/05-replication.md",
    "textbook/06-cap.md",
    "textbook/07-consensus.md",
    "textbook/08-sharding.md",
    "textbook/10-messaging.md",
    "textbook/12-hdfs.md",
    "textbook/13-mapreduce.md",
    "textbook/14-blockchains.md",
    "textbook/15-peer-to-peer.md",
    "README.md",
};
#define NCHAPTERS (sizeof(chapters) / sizeof(chapters[0]))

#define MAX_LINES 20000

/* ---- text helpers ---- */

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char *text = cli_slurp(f);
    fclose(f);
    return text;
}

/* Splits text into lines in place (the text is modified); trailing blanks are
 * removed from each line; a final newline does not make an empty last line. */
static size_t split_lines(char *text, char **lines, size_t max)
{
    size_t n = 0;
    char *p = text;
    while (*p && n < max) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        size_t len = strlen(p);
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r')) p[--len] = 0;
        lines[n++] = p;
        if (!nl) break;
        p = nl + 1;
    }
    return n;
}

static bool blank(const char *line) { return line[strspn(line, " \t")] == 0; }

static bool starts_with(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

/* One line against a pattern line in which "..." matches any text. */
static bool line_matches(const char *pat, const char *s)
{
    const char *dots = strstr(pat, "...");
    if (!dots) return strcmp(pat, s) == 0;
    size_t pre = (size_t)(dots - pat);
    if (strncmp(pat, s, pre) != 0) return false;
    for (const char *p = s + pre;; p++) {
        if (line_matches(dots + 3, p)) return true;
        if (!*p) return false;
    }
}

/* All output lines against the pattern lines, a line "..." matching any number. */
static bool lines_match(char *const *pat, size_t np, char *const *out, size_t no)
{
    while (np > 0 && strcmp(pat[0], "...") != 0) {
        if (no == 0 || !line_matches(pat[0], out[0])) return false;
        pat++, np--, out++, no--;
    }
    if (np == 0) return no == 0;
    for (size_t skip = 0; skip <= no; skip++)
        if (lines_match(pat + 1, np - 1, out + skip, no - skip)) return true;
    return false;
}

/* ---- one chapter ---- */

typedef struct tb {
    const char *chapter;   /* its path, for the messages */
    const char *work;      /* the working folder of its commands; NULL: parse only */
    bool quiet;            /* count problems without printing them (selftest) */
    int problems;
} tb;

static void problem(tb *t, int line, const char *fmt, ...)
{
    t->problems++;
    if (t->quiet) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: ", t->chapter, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void show_lines(tb *t, const char *title, char *const *lines, size_t n)
{
    if (t->quiet) return;
    fprintf(stderr, "  %s\n", title);
    for (size_t i = 0; i < n && i < 400; i++) fprintf(stderr, "    | %s\n", lines[i]);
    if (n > 400) fprintf(stderr, "    | (%zu more lines)\n", n - 400);
}

typedef enum { M_NONE_YET, M_BAD, M_RUN, M_FILE, M_EXCERPT, M_SKIP } marker_kind;

typedef struct marker {
    marker_kind kind;
    int line;
    int exit_code;
    char path[PATH_MAX];
} marker;

static bool is_marker_line(const char *line)
{
    return starts_with(line + strspn(line, " "), "<!--") && strstr(line, "test") != NULL &&
           strstr(line, "test") < strstr(line, "<!--") + 12;
}

static bool parse_exit(const char *word, int *code)
{
    char *end;
    if (!starts_with(word, "exit=")) return false;
    long v = strtol(word + 5, &end, 10);
    if (end == word + 5 || *end || v < 0 || v > 255) return false;
    *code = (int)v;
    return true;
}

static bool safe_path(const char *p)
{
    return p[0] && p[0] != '/' && strstr(p, "..") == NULL && strlen(p) < PATH_MAX;
}

/* Parses "<!-- test: ... -->"; a malformed one is reported and becomes M_BAD. */
static marker parse_marker(tb *t, const char *line, int lineno)
{
    marker m = { M_BAD, lineno, 0, "" };
    const char *p = line + strspn(line, " ");
    size_t len = strlen(p);
    if (!starts_with(p, "<!-- test:") || len < 14 || strcmp(p + len - 3, "-->") != 0) {
        problem(t, lineno, "malformed marker (expected <!-- test: KIND ... -->): %s", line);
        return m;
    }
    char body[1024];
    snprintf(body, sizeof(body), "%.*s", (int)(len - 10 - 3), p + 10);
    char *words[8];
    size_t nw = 0;
    char *save = NULL;
    for (char *w = strtok_r(body, " ", &save); w && nw < 8; w = strtok_r(NULL, " ", &save)) words[nw++] = w;
    if (nw == 0) {
        problem(t, lineno, "empty marker");
        return m;
    }
    if (strcmp(words[0], "none") == 0) {
        const char *open = strchr(p, '('), *close = strrchr(p, ')');
        if (nw < 2 || !open || !close || close <= open + 1 || blank(open + 1) || words[1][0] != '(') {
            problem(t, lineno, "'none' needs a reason in parentheses: <!-- test: none (why) -->");
            return m;
        }
        m.kind = M_SKIP;
    } else if (strcmp(words[0], "run") == 0) {
        if (nw > 2 || (nw == 2 && !parse_exit(words[1], &m.exit_code))) {
            problem(t, lineno, "malformed marker: <!-- test: run [exit=N] -->");
            return m;
        }
        m.kind = M_RUN;
    } else if (strcmp(words[0], "file") == 0 || strcmp(words[0], "excerpt") == 0) {
        bool file = words[0][0] == 'f';
        if (nw < 2 || nw > (file ? 3u : 2u) || !safe_path(words[1]) ||
            (nw == 3 && !parse_exit(words[2], &m.exit_code))) {
            problem(t, lineno, "malformed marker: <!-- test: %s -->", file ? "file PATH [exit=N]" : "excerpt PATH");
            return m;
        }
        m.kind = file ? M_FILE : M_EXCERPT;
        snprintf(m.path, sizeof(m.path), "%s", words[1]);
    } else {
        problem(t, lineno, "unknown marker kind '%s' (run, file, excerpt or none)", words[0]);
    }
    return m;
}

/* Runs one shell command in the working folder: output (stdout and stderr) and code. */
static char *shell(const char *work, const char *command, int *code)
{
    size_t n = strlen(work) + strlen(command) + 128;
    char *cmd = malloc(n);
    snprintf(cmd, n, "cd '%s' && LC_ALL=C && export LC_ALL && ( %s\n) </dev/null 2>&1", work, command);
    FILE *p = popen(cmd, "r");
    char *out = p ? cli_slurp(p) : strdup("");
    int status = p ? pclose(p) : -1;
    *code = status == -1 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    free(cmd);
    return out;
}

static void run_block(tb *t, const marker *m, char **lines, size_t n, int first)
{
    size_t i = 0;
    while (i < n && blank(lines[i])) i++;
    if (i < n && !starts_with(lines[i], "$ ")) {
        problem(t, first + (int)i, "a console block starts with a \"$ \" command line");
        return;
    }
    int prev_code = -1;
    const char *prev_cmd = NULL;
    while (i < n) {
        const char *cmd = lines[i] + 2;
        int cmd_line = first + (int)i;
        size_t out_first = ++i;
        while (i < n && !starts_with(lines[i], "$ ")) i++;
        size_t nexp = i - out_first;
        while (nexp > 0 && blank(lines[out_first + nexp - 1])) nexp--;
        char *const *expected = lines + out_first;
        bool next_is_status = i < n && strcmp(lines[i], "$ echo $?") == 0;

        if (strcmp(cmd, "echo $?") == 0) {
            char want[16];
            snprintf(want, sizeof(want), "%d", prev_code);
            if (!prev_cmd) problem(t, cmd_line, "\"$ echo $?\" must follow a command");
            else if (nexp != 1 || strcmp(expected[0], want) != 0)
                problem(t, cmd_line, "`%s` exited with %d, not %s", prev_cmd, prev_code,
                        nexp ? expected[0] : "(nothing shown)");
            prev_cmd = NULL;
            continue;
        }
        if (!t->work) continue;
        int code;
        char *out = shell(t->work, cmd, &code);
        char **got = malloc(MAX_LINES * sizeof(char *));
        size_t ngot = split_lines(out, got, MAX_LINES);
        if (!lines_match(expected, nexp, got, ngot)) {
            problem(t, cmd_line, "`%s` printed something else (exit %d)", cmd, code);
            show_lines(t, "the chapter shows:", expected, nexp);
            show_lines(t, "the command printed:", got, ngot);
        }
        if (!next_is_status && code != m->exit_code)
            problem(t, cmd_line, "`%s` exited with %d, not %d (add exit=N to the marker or a \"$ echo $?\")",
                    cmd, code, m->exit_code);
        free(got);
        free(out);
        prev_code = code;
        prev_cmd = cmd;
    }
}

static void file_block(tb *t, const marker *m, char **lines, size_t n)
{
    char *text = read_file(m->path);
    if (!text) {
        problem(t, m->line, "cannot read %s", m->path);
        return;
    }
    size_t want = 0;
    for (size_t i = 0; i < n; i++) want += strlen(lines[i]) + 1;
    char *block = calloc(1, want + 1);
    for (size_t i = 0; i < n; i++) strcat(strcat(block, lines[i]), "\n");
    if (strcmp(block, text) != 0) {
        int line = 1;
        size_t k = 0;
        while (block[k] && block[k] == text[k]) line += block[k++] == '\n';
        problem(t, m->line, "the block differs from %s (first at its line %d)", m->path, line);
    } else if (t->work) {
        char args[PATH_MAX + 16];
        snprintf(args, sizeof(args), "run '%s'", m->path);
        cli_result r = cli_run(args);
        if (r.code != m->exit_code) {
            problem(t, m->line, "`dsim run %s` exited with %d, not %d", m->path, r.code, m->exit_code);
            if (!t->quiet) fprintf(stderr, "%s%s", r.out, r.err);
        }
        cli_free(&r);
    }
    free(block);
    free(text);
}

static void excerpt_block(tb *t, const marker *m, char **lines, size_t n)
{
    char *text = read_file(m->path);
    if (!text) {
        problem(t, m->line, "cannot read %s", m->path);
        return;
    }
    char **file = malloc(MAX_LINES * sizeof(char *));
    size_t nf = split_lines(text, file, MAX_LINES);
    bool found = n == 0;
    for (size_t at = 0; !found && at + n <= nf; at++) {
        size_t k = 0;
        while (k < n && strcmp(lines[k], file[at + k]) == 0) k++;
        found = k == n;
    }
    if (!found) problem(t, m->line, "these lines are not in %s, one after another", m->path);
    free(file);
    free(text);
}

/* Checks one chapter's text (modified in place). */
static void check_text(tb *t, char *text)
{
    char **lines = malloc(MAX_LINES * sizeof(char *));
    size_t n = split_lines(text, lines, MAX_LINES);
    marker pending = { M_NONE_YET, 0, 0, "" };
    for (size_t i = 0; i < n; i++) {
        const char *l = lines[i];
        int lineno = (int)i + 1;
        if (is_marker_line(l)) {
            if (pending.kind != M_NONE_YET) problem(t, pending.line, "a marker without a code block after it");
            pending = parse_marker(t, l, lineno);
            continue;
        }
        if (starts_with(l, "~~~")) {
            problem(t, lineno, "use ``` fences (this suite reads those only)");
            continue;
        }
        if (starts_with(l + strspn(l, " "), "```")) {
            size_t close = i + 1;
            while (close < n && strcmp(lines[close] + strspn(lines[close], " "), "```") != 0) close++;
            if (close >= n) {
                problem(t, lineno, "a code block that is never closed");
                pending.kind = M_NONE_YET;
                break;
            }
            const char *lang = l + strspn(l, " ") + 3;
            char **body = lines + i + 1;
            size_t nbody = close - i - 1;
            switch (pending.kind) {
            case M_NONE_YET:
                problem(t, lineno, "a code block without a marker (<!-- test: run|file|excerpt|none ... -->)");
                break;
            case M_RUN:
                if (strcmp(lang, "console") != 0) problem(t, lineno, "a run block is a ```console block");
                else run_block(t, &pending, body, nbody, lineno + 1);
                break;
            case M_FILE: file_block(t, &pending, body, nbody); break;
            case M_EXCERPT: excerpt_block(t, &pending, body, nbody); break;
            case M_BAD:
            case M_SKIP: break;
            }
            pending.kind = M_NONE_YET;
            i = close;
            continue;
        }
        if (blank(l)) continue;
        if (pending.kind != M_NONE_YET) {
            problem(t, pending.line, "a marker must be followed by its code block");
            pending.kind = M_NONE_YET;
        }
        if ((l[0] == '\t' || starts_with(l, "    ")) && i > 0 && blank(lines[i - 1]))
            problem(t, lineno, "an indented code block: use a fenced block with a marker");
    }
    if (pending.kind != M_NONE_YET) problem(t, pending.line, "a marker without a code block after it");
    free(lines);
}

/* ---- the working folder: looks like the repository root ---- */

static char *make_work(void)
{
    char tmpl[] = "/tmp/dsim-textbook-XXXXXX";
    ck_assert_msg(mkdtemp(tmpl) != NULL, "mkdtemp failed");
    char root[PATH_MAX], bin[2 * PATH_MAX + 2], from[PATH_MAX + 64], to[PATH_MAX + 64];
    ck_assert(getcwd(root, sizeof(root)) != NULL);
    const char *dsim = getenv("DSIM") ? getenv("DSIM") : "./dsim";
    ck_assert_msg(access(dsim, X_OK) == 0, "no dsim binary at %s (run `make` first)", dsim);
    snprintf(bin, sizeof(bin), "%s%s%s", dsim[0] == '/' ? "" : root, dsim[0] == '/' ? "" : "/", dsim);
    snprintf(to, sizeof(to), "%s/dsim", tmpl);
    ck_assert_int_eq(symlink(bin, to), 0);
    static const char *const links[] = { "textbook", "scenarios", "lua", "tests" };
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        snprintf(from, sizeof(from), "%s/%s", root, links[i]);
        snprintf(to, sizeof(to), "%s/%s", tmpl, links[i]);
        ck_assert_int_eq(symlink(from, to), 0);
    }
    return strdup(tmpl);
}

static void remove_work(char *work)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
    ck_assert_int_eq(system(cmd), 0);
    free(work);
}

/* ---- the tests ---- */

START_TEST(chapter_runs)
{
    const char *path = chapters[_i];
    char *text = read_file(path);
    ck_assert_msg(text != NULL, "cannot read %s (run the tests from the repository root)", path);
    tb t = { .chapter = path, .work = make_work() };
    check_text(&t, text);
    remove_work((char *)t.work);
    free(text);
    ck_assert_msg(t.problems == 0, "%s: %d problem(s), each described above on stderr", path, t.problems);
}
END_TEST

/* Every program in textbook/code/ is named by a chapter (shown, excerpted or run). */
START_TEST(every_program_is_in_a_chapter)
{
    char *texts[NCHAPTERS];
    for (size_t c = 0; c < NCHAPTERS; c++) {
        texts[c] = read_file(chapters[c]);
        ck_assert_msg(texts[c] != NULL, "cannot read %s", chapters[c]);
    }
    DIR *d = opendir("textbook/code");
    ck_assert_msg(d != NULL, "no folder textbook/code");
    int orphans = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".lua") != 0) continue;
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "textbook/code/%s", e->d_name);
        bool named = false;
        for (size_t c = 0; c < NCHAPTERS && !named; c++) named = strstr(texts[c], path) != NULL;
        if (!named) {
            fprintf(stderr, "%s is in no chapter\n", path);
            orphans++;
        }
    }
    closedir(d);
    for (size_t c = 0; c < NCHAPTERS; c++) free(texts[c]);
    ck_assert_msg(orphans == 0, "%d program(s) of textbook/code/ named by no chapter", orphans);
}
END_TEST

/* Each answer passes its sweep, and its exercise (same name, one folder up) exists. */
START_TEST(answers_pass_their_sweeps)
{
    DIR *d = opendir("textbook/code/answers");
    ck_assert_msg(d != NULL, "no folder textbook/code/answers");
    int answers = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".lua") != 0) continue;
        char exercise[PATH_MAX], args[PATH_MAX + 64];
        struct stat st;
        snprintf(exercise, sizeof(exercise), "textbook/code/%s", e->d_name);
        ck_assert_msg(stat(exercise, &st) == 0, "answer %s has no exercise %s", e->d_name, exercise);
        snprintf(args, sizeof(args), "sweep 'textbook/code/answers/%s' --seeds 1..50", e->d_name);
        cli_result r = cli_run(args);
        ck_assert_msg(r.code == 0 && strstr(r.out, "sweep: 50 seeds, 50 passed, 0 failed"),
                      "dsim %s: exit %d\n%s%s", args, r.code, r.out, r.err);
        cli_free(&r);
        answers++;
    }
    closedir(d);
    ck_assert_int_gt(answers, 0);
}
END_TEST

/* The checker catches what it is for: each case is a small chapter and the number
 * of problems it must report. */
static const struct {
    const char *markdown;
    int problems;
} cases[] = {
    /* output: exact, "..." lines, "..." within a line */
    { "<!-- test: run -->\n```console\n$ printf 'one\\ntwo\\nthree\\n'\none\ntwo\nthree\n```\n", 0 },
    { "<!-- test: run -->\n```console\n$ printf 'one\\ntwo\\nthree\\n'\none\n...\n```\n", 0 },
    { "<!-- test: run -->\n```console\n$ printf 'one\\ntwo\\nthree\\n'\n...\nt...o\n...\n```\n", 0 },
    { "<!-- test: run -->\n```console\n$ printf 'one\\ntwo\\nthree\\n'\none\ntwo\nfour\n```\n", 1 },
    { "<!-- test: run -->\n```console\n$ printf 'one\\ntwo\\nthree\\n'\none\nthree\n```\n", 1 },
    { "<!-- test: run -->\n```console\n$ printf 'one\\ntwo\\nthree\\n'\none\ntwo\n```\n", 1 },
    { "<!-- test: run -->\n```console\n$ echo hi\n```\n", 1 },
    /* state carries from command to command; stderr is output too */
    { "<!-- test: run -->\n```console\n$ echo x > f.txt\n$ cat f.txt\nx\n$ ls nothing-here\n...\n```\n", 1 },
    /* exit codes */
    { "<!-- test: run -->\n```console\n$ sh -c 'exit 3'\n```\n", 1 },
    { "<!-- test: run exit=3 -->\n```console\n$ sh -c 'exit 3'\n```\n", 0 },
    { "<!-- test: run -->\n```console\n$ sh -c 'exit 3'\n$ echo $?\n3\n```\n", 0 },
    { "<!-- test: run -->\n```console\n$ sh -c 'exit 3'\n$ echo $?\n4\n```\n", 1 },
    /* files and excerpts */
    { "<!-- test: excerpt textbook/code/echo.lua -->\n```lua\nlocal dsim = require \"dsim\"\n```\n", 0 },
    { "<!-- test: excerpt textbook/code/echo.lua -->\n```lua\nlocal dsim = require \"nothing\"\n```\n", 1 },
    { "<!-- test: file textbook/code/echo.lua -->\n```lua\n-- not the file\n```\n", 1 },
    { "<!-- test: file textbook/code/no-such-file.lua -->\n```lua\n```\n", 1 },
    /* markers */
    { "Text.\n\n```sh\nmake run\n```\n", 1 },
    { "<!-- test: none (installs packages) -->\n```sh\nmake run\n```\n", 0 },
    { "<!-- test: none -->\n```sh\nmake run\n```\n", 1 },
    { "<!-- test: none () -->\n```sh\nmake run\n```\n", 1 },
    { "<!-- test: maybe -->\n```sh\nmake run\n```\n", 1 },
    { "<!-- test: run -->\nSome text.\n\n```console\n$ true\n```\n", 2 },
    { "<!-- test: run -->\n\n<!-- test: run -->\n```console\n$ true\n```\n", 1 },
    { "<!-- test: run -->\n```sh\n$ true\n```\n", 1 },
    { "<!-- test: run -->\n```console\n$ true\n", 1 },
    { "~~~\ncode\n~~~\n", 2 },
    { "Text.\n\n    indented code\n", 1 },
    { "<!-- test: run -->\n```console\nno command\n```\n", 1 },
};

START_TEST(selftest)
{
    char *text = strdup(cases[_i].markdown);
    tb t = { .chapter = "selftest.md", .work = make_work(), .quiet = true };
    check_text(&t, text);
    remove_work((char *)t.work);
    ck_assert_msg(t.problems == cases[_i].problems, "case %d: %d problem(s) reported, %d expected:\n%s", _i,
                  t.problems, cases[_i].problems, cases[_i].markdown);
    free(text);
}
END_TEST

Suite *textbook_suite(void);

Suite *textbook_suite(void)
{
    Suite *suite = suite_create("textbook");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 300);
    tcase_add_loop_test(core, chapter_runs, 0, (int)NCHAPTERS);
    tcase_add_test(core, every_program_is_in_a_chapter);
    tcase_add_test(core, answers_pass_their_sweeps);
    tcase_add_loop_test(core, selftest, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    suite_add_tcase(suite, core);
    return suite;
}
