/*
 * `dsim grade LAB SUBMISSION_DIR [--seeds A..B] [--json results.json] [-j N]` and
 * `dsim lab handout LAB DIR`: the command lines of lua/grade/ (see grade.h).
 *
 * The hand-out is the student's tree: the handout text, the skeleton files to
 * complete and the public tests; never grading/ (hidden tests) nor reference
 * solutions, which live in the repository's tests/labs/.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lua/cli/commands.h"
#include "lua/grade/grade.h"

static int parse_jobs(const char *v, int *out)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < 1 || n > 256) return -1;
    *out = (int)n;
    return 0;
}

static int grade_flag(int argc, char **argv, int *i, grade_opts *o)
{
    const char *flag = argv[*i];
    if (*i + 1 >= argc) return dsim_usage_error("grade: %s needs a value", flag);
    const char *v = argv[++*i];
    if (strcmp(flag, "--seeds") == 0) {
        o->seeds_given = true;
        if (grade_parse_seeds(v, &o->seed_first, &o->seed_last) == 0) return 0;
        return dsim_usage_error("--seeds: expected a range like 1000..1099 (at most 100000 seeds), got '%s'", v);
    }
    if (strcmp(flag, "--json") == 0) return o->json_path = v, 0;
    if (strcmp(flag, "-j") == 0 || strcmp(flag, "--jobs") == 0) {
        if (parse_jobs(v, &o->jobs) == 0) return 0;
        return dsim_usage_error("-j: expected a number of workers from 1 to 256, got '%s'", v);
    }
    return dsim_usage_error("grade: %s is not a flag of grade (flags: --seeds A..B, --json FILE, -j N)", flag);
}

int dsim_cmd_grade(int argc, char **argv)
{
    grade_opts o = { .jobs = 2 };
    const char *lab_name = NULL;
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1]) {
            int rc = grade_flag(argc, argv, &i, &o);
            if (rc) return rc;
        } else if (!lab_name) {
            lab_name = argv[i];
        } else if (!o.submission) {
            o.submission = argv[i];
        } else {
            return dsim_usage_error("grade: unexpected argument '%s' (dsim grade LAB SUBMISSION_DIR)", argv[i]);
        }
    }
    if (!lab_name || !o.submission)
        return dsim_usage_error("grade: usage: dsim grade LAB SUBMISSION_DIR [--seeds A..B] [--json F] [-j N]");
    struct stat st;
    if (stat(o.submission, &st) != 0 || !S_ISDIR(st.st_mode))
        return dsim_usage_error("grade: the submission '%s' is not a folder", o.submission);
    grade_lab lab;
    int rc = grade_lab_load(lab_name, &lab);
    if (rc == 0) rc = grade_run(&lab, &o);
    grade_lab_free(&lab);
    return rc;
}

/* ---- dsim lab handout ---- */

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    if (!in) return dsim_usage_error("lab: cannot read %s", from);
    FILE *out = fopen(to, "wbx");
    if (!out) {
        fclose(in);
        return dsim_usage_error("lab: cannot create %s (%s)", to, strerror(errno));
    }
    char buf[8192];
    size_t n;
    bool ok = true;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0) ok = ok && fwrite(buf, 1, n, out) == n;
    fclose(in);
    if (fclose(out) != 0) ok = false;
    return ok ? 0 : dsim_usage_error("lab: cannot write %s", to);
}

/* Copies every regular FILE.lua of from/ into to/ (created), in name order. */
static int copy_lua_files(const char *from, const char *to)
{
    struct dirent **names;
    int n = scandir(from, &names, NULL, alphasort);
    if (n < 0) return dsim_usage_error("lab: cannot read the folder %s", from);
    int rc = mkdir(to, 0755) == 0 || errno == EEXIST ? 0 : dsim_usage_error("lab: cannot create %s", to);
    for (int i = 0; i < n; i++) {
        const char *e = names[i]->d_name;
        size_t len = strlen(e);
        char src[4096], dst[4096];
        snprintf(src, sizeof(src), "%s/%s", from, e);
        snprintf(dst, sizeof(dst), "%s/%s", to, e);
        struct stat st;
        if (rc == 0 && len > 4 && strcmp(e + len - 4, ".lua") == 0 && stat(src, &st) == 0 && S_ISREG(st.st_mode))
            rc = copy_file(src, dst);
        free(names[i]);
    }
    free(names);
    return rc;
}

static int handout(const char *lab_name, const char *dir)
{
    grade_lab lab;
    int rc = grade_lab_load(lab_name, &lab);
    if (rc) return grade_lab_free(&lab), rc;
    char from[4096], to[4096];
    if (mkdir(dir, 0755) != 0) {
        grade_lab_free(&lab);
        return dsim_usage_error("lab: cannot create %s (%s; give a new folder)", dir, strerror(errno));
    }
    snprintf(from, sizeof(from), "%s/README.md", lab.dir);
    snprintf(to, sizeof(to), "%s/README.md", dir);
    rc = copy_file(from, to);
    snprintf(from, sizeof(from), "%s/skeleton", lab.dir);
    if (rc == 0) rc = copy_lua_files(from, dir);
    snprintf(from, sizeof(from), "%s/tests", lab.dir);
    snprintf(to, sizeof(to), "%s/tests", dir);
    if (rc == 0) rc = copy_lua_files(from, to);
    if (rc == 0) printf("%s: handout written to %s (complete the .lua files; run the tests in %s/tests)\n", lab.name,
                        dir, dir);
    grade_lab_free(&lab);
    return rc;
}

int dsim_cmd_lab(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[0], "handout") == 0) return handout(argv[1], argv[2]);
    return dsim_usage_error("lab: usage: dsim lab handout LAB DIR (writes a student's copy of LAB into the new folder DIR)");
}
