/*
 * test_motif.c - motifs out of a model. A small model is trained on planted-motif data (the
 * recipe of test_interpret.c), then rbp_motifs_discover must give back the planted motif
 * (column correlation >= 0.9 with its consensus), and with two planted motifs both of them.
 * Both importance sources are measured and printed; saliency is the library's default.
 * Also: MEME round trip (written == read, and writing what was read gives the same bytes),
 * MEME reader errors, the comparison on hand-made matrices, the consensus, and logos.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include <rbpattn/plot.h>
#include <rbpattn/rbpattn.h>

static const char BASES[4] = {'A', 'C', 'G', 'U'};
enum { L = 24, M = 6 };

static int count_any(const char *s, const char *const *motifs, int n_motifs)
{
    int c = 0;
    for (int k = 0; k < n_motifs; k++)
        for (int i = 0; i + M <= L; i++)
            c += memcmp(s + i, motifs[k], M) == 0;
    return c;
}

/* n sequences of uniform ACGU; half get 1..2 copies of one of the motifs (chosen at random). */
static rbp_dataset *make_data(size_t n, uint64_t seed, const char *const *motifs, int n_motifs)
{
    rbp_test_rng r;
    rbp_test_rng_seed(&r, seed);
    char **seqs = malloc(n * sizeof *seqs);
    float *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) {
        seqs[i] = malloc(L + 1);
        for (int t = 0; t < L; t++)
            seqs[i][t] = BASES[rbp_test_rng_u64(&r) % 4];
        seqs[i][L] = '\0';
        if (rbp_test_rng_u64(&r) % 2) {
            const char *m = motifs[rbp_test_rng_u64(&r) % (uint64_t)n_motifs];
            int k = 1 + (int)(rbp_test_rng_u64(&r) % 2);
            for (int j = 0; j < k; j++)
                memcpy(seqs[i] + rbp_test_rng_u64(&r) % (L - M + 1), m, M);
        }
        y[i] = (float)(count_any(seqs[i], motifs, n_motifs) > 0);
    }
    rbp_dataset *ds = NULL;
    assert_int_equal(rbp_dataset_from_strings(&ds, (const char *const *)seqs, y, NULL, n, NULL), RBP_OK);
    for (size_t i = 0; i < n; i++)
        free(seqs[i]);
    free(seqs);
    free(y);
    return ds;
}

/* test_interpret.c's two-layer planted-motif model (~14 s on one core). */
static rbp_model *train_model(const char *const *motifs, int n_motifs)
{
    rbp_model_config mc;
    rbp_model_config_init(&mc, RBP_MODEL_CONFIG_VERSION);
    mc.seq_len = L, mc.d_model = 32, mc.n_heads = 4, mc.n_layers = 2, mc.d_ff = 64, mc.head_hidden = 32;
    mc.dropout = 0.0f, mc.pooling = RBP_POOL_MAX, mc.seed = 3;
    rbp_train_config tc;
    rbp_train_config_init(&tc, RBP_TRAIN_CONFIG_VERSION);
    tc.epochs = 20, tc.batch_size = 32, tc.eval_batch_size = 250, tc.schedule = RBP_SCHED_COSINE;
    tc.lr = 3e-3f, tc.warmup_steps = 100, tc.seed = 3;
    rbp_model *model = NULL;
    rbp_trainer *trainer = NULL;
    assert_int_equal(rbp_model_create(&model, &mc), RBP_OK);
    assert_int_equal(rbp_trainer_create(&trainer, model, &tc), RBP_OK);
    rbp_dataset *train = make_data(4000, 100, motifs, n_motifs);
    assert_int_equal(rbp_trainer_fit(trainer, train, NULL), RBP_OK);
    rbp_trainer_free(trainer);
    rbp_dataset_free(train);
    return model;
}

/* A one-hot motif of a consensus string (ACGU only). */
static void add_consensus(rbp_motif_set *set, const char *name, const char *cons)
{
    float pwm[32 * 4];
    int w = (int)strlen(cons);
    memset(pwm, 0, sizeof pwm);
    for (int j = 0; j < w; j++)
        pwm[j * 4 + (int)(strchr("ACGU", cons[j]) - "ACGU")] = 1.0f;
    assert_int_equal(rbp_motif_set_add(set, name, pwm, w, 0), RBP_OK);
}

/* Best correlation of any discovered motif with known motif k; *which = its index. */
static double best_for_known(const rbp_motif_set *found, const rbp_motif *known, int *which)
{
    double best = -2;
    *which = -1;
    for (int i = 0; i < found->n_motifs; i++) {
        rbp_motif_match m;
        assert_int_equal(rbp_motif_compare(&found->motifs[i], known, &m), RBP_OK);
        if (m.correlation > best)
            best = m.correlation, *which = i;
    }
    return best;
}

static void print_set(const char *label, const rbp_motif_set *s)
{
    printf("  %s: %d motifs from %d sequences; top k-mer %s (z %.1f)\n", label, (int)s->n_motifs,
           (int)s->n_sequences, s->n_kmers ? s->kmers[0].kmer : "-", s->n_kmers ? s->kmers[0].z : 0.0);
    for (int i = 0; i < s->n_motifs; i++) {
        char c[40];
        assert_int_equal(rbp_motif_consensus(&s->motifs[i], c, sizeof c), RBP_OK);
        printf("    %s %s  %d sites  %.2f bits  importance z %.2f\n", s->motifs[i].name, c, (int)s->motifs[i].n_sites,
               s->motifs[i].information, s->motifs[i].importance);
    }
}

/* Discover with both importance sources; returns the saliency set, prints both. */
static rbp_motif_set *discover_both(rbp_session *session, const rbp_dataset *held, const rbp_motif_set *known,
                                    double *rollout_corr)
{
    rbp_motif_options o;
    assert_int_equal(rbp_motif_options_init(&o, RBP_MOTIF_OPTIONS_VERSION), RBP_OK);
    o.top_sequences = 400, o.n_motifs = 3, o.min_sites = 10;
    rbp_motif_set *sal = NULL, *roll = NULL;
    assert_int_equal(rbp_motifs_discover(&sal, session, held, NULL, 0, &o), RBP_OK);
    o.importance = RBP_MOTIF_ROLLOUT;
    assert_int_equal(rbp_motifs_discover(&roll, session, held, NULL, 0, &o), RBP_OK);
    print_set("saliency", sal);
    print_set("rollout", roll);
    for (int k = 0; k < known->n_motifs; k++) {
        int ws, wr;
        double cs = best_for_known(sal, &known->motifs[k], &ws), cr = best_for_known(roll, &known->motifs[k], &wr);
        printf("    planted %s: saliency motif_%d r = %.3f, rollout motif_%d r = %.3f\n", known->motifs[k].name, ws + 1,
               cs, wr + 1, cr);
        rollout_corr[k] = cr;
    }
    rbp_motif_set_free(roll);
    /* the sequences searched are the highest-scoring ones, in order */
    for (int i = 1; i < sal->n_sequences; i++)
        assert_true(sal->scores[i - 1] >= sal->scores[i]);
    return sal;
}

static void test_one_planted_motif(void **state)
{
    (void)state;
    const char *motifs[1] = {"UGCAUG"};
    rbp_model *model = train_model(motifs, 1);
    rbp_session *session = NULL;
    assert_int_equal(rbp_session_create(&session, model, NULL), RBP_OK);
    rbp_dataset *held = make_data(1000, 777, motifs, 1);
    rbp_motif_set *known = NULL;
    assert_int_equal(rbp_motif_set_create(&known), RBP_OK);
    add_consensus(known, "planted", motifs[0]);
    double rc[1];
    rbp_motif_set *found = discover_both(session, held, known, rc);
    assert_true(found->n_motifs >= 1);
    rbp_motif_match m;
    assert_int_equal(rbp_motif_compare(&found->motifs[0], &known->motifs[0], &m), RBP_OK);
    assert_true(m.correlation >= 0.9);
    assert_true(found->motifs[0].n_sites >= 100);
    /* the planted 6-mer tops the enrichment table, and the sites are real occurrences */
    assert_true(found->n_kmers >= 1);
    assert_string_equal(found->kmers[0].kmer, "UGCAUG");
    int hits = 0;
    const uint8_t *tok = rbp_dataset_tokens(held);
    for (int i = 0; i < found->motifs[0].n_sites; i++) {
        const rbp_motif_site *s = &found->motifs[0].sites[i];
        assert_true(s->sequence >= 0 && (size_t)s->sequence < rbp_dataset_size(held));
        assert_true(s->position >= 0 && s->position + found->motifs[0].width <= L);
        char w[33];
        for (int j = 0; j < found->motifs[0].width; j++)
            w[j] = BASES[tok[(size_t)s->sequence * L + s->position + j]];
        w[found->motifs[0].width] = '\0';
        hits += strstr(w, "UGCAUG") != NULL;
    }
    printf("    %d of %d sites of motif_1 hold UGCAUG\n", hits, (int)found->motifs[0].n_sites);
    assert_true(hits >= found->motifs[0].n_sites * 8 / 10);
    /* same inputs, same motifs */
    rbp_motif_set *again = NULL;
    rbp_motif_options o;
    rbp_motif_options_init(&o, RBP_MOTIF_OPTIONS_VERSION);
    o.top_sequences = 400, o.n_motifs = 3, o.min_sites = 10;
    assert_int_equal(rbp_motifs_discover(&again, session, held, NULL, 0, &o), RBP_OK);
    assert_int_equal(again->n_motifs, found->n_motifs);
    assert_memory_equal(again->motifs[0].pwm, found->motifs[0].pwm, (size_t)found->motifs[0].width * 4 * sizeof(float));
    rbp_motif_set_free(again);
    rbp_motif_set_free(found);
    rbp_motif_set_free(known);
    rbp_dataset_free(held);
    rbp_session_free(session);
    rbp_model_free(model);
}

static void test_two_planted_motifs(void **state)
{
    (void)state;
    const char *motifs[2] = {"UGCAUG", "ACUAAC"};
    rbp_model *model = train_model(motifs, 2);
    rbp_session *session = NULL;
    assert_int_equal(rbp_session_create(&session, model, NULL), RBP_OK);
    rbp_dataset *held = make_data(1000, 778, motifs, 2);
    rbp_motif_set *known = NULL;
    assert_int_equal(rbp_motif_set_create(&known), RBP_OK);
    add_consensus(known, "UGCAUG", motifs[0]);
    add_consensus(known, "ACUAAC", motifs[1]);
    double rc[2];
    rbp_motif_set *found = discover_both(session, held, known, rc);
    int w0, w1;
    double c0 = best_for_known(found, &known->motifs[0], &w0), c1 = best_for_known(found, &known->motifs[1], &w1);
    assert_true(c0 >= 0.9);
    assert_true(c1 >= 0.9);
    assert_int_not_equal(w0, w1); /* two motifs, not one average */
    rbp_motif_set_free(found);
    rbp_motif_set_free(known);
    rbp_dataset_free(held);
    rbp_session_free(session);
    rbp_model_free(model);
}

/* ------------------------------------------------------------------ no model needed */

static void test_compare(void **state)
{
    (void)state;
    rbp_motif_set *s = NULL;
    assert_int_equal(rbp_motif_set_create(&s), RBP_OK);
    add_consensus(s, "a", "UGCAUG");
    add_consensus(s, "b", "AAUGCAUGA"); /* a inside, at column 2 */
    add_consensus(s, "c", "CCCCCC");
    /* a soft version of a: 0.7 on the letter */
    float soft[6 * 4];
    for (int j = 0; j < 6; j++)
        for (int b = 0; b < 4; b++)
            soft[j * 4 + b] = BASES[b] == "UGCAUG"[j] ? 0.7f : 0.1f;
    assert_int_equal(rbp_motif_set_add(s, "soft", soft, 6, 10), RBP_OK);
    /* UGUAnAUA with a uniform column */
    float pum[8 * 4];
    for (int j = 0; j < 8; j++)
        for (int b = 0; b < 4; b++)
            pum[j * 4 + b] = j == 4 ? 0.25f : BASES[b] == "UGUANAUA"[j] ? 0.85f : 0.05f;
    assert_int_equal(rbp_motif_set_add(s, "PUM2", pum, 8, 20), RBP_OK);
    const rbp_motif *a = &s->motifs[0], *b = &s->motifs[1], *c = &s->motifs[2], *soft_m = &s->motifs[3];
    const rbp_motif *p = &s->motifs[4];
    rbp_motif_match m;
    assert_int_equal(rbp_motif_compare(a, a, &m), RBP_OK);
    assert_float_equal(m.correlation, 1.0, 1e-9);
    assert_int_equal(m.offset, 0);
    assert_int_equal(m.overlap, 6);
    assert_int_equal(rbp_motif_compare(b, a, &m), RBP_OK);
    assert_float_equal(m.correlation, 1.0, 1e-9);
    assert_int_equal(m.offset, 2);
    assert_int_equal(rbp_motif_compare(a, b, &m), RBP_OK); /* symmetric score, mirrored offset */
    assert_float_equal(m.correlation, 1.0, 1e-9);
    assert_int_equal(m.offset, -2);
    assert_int_equal(rbp_motif_compare(soft_m, a, &m), RBP_OK);
    assert_float_equal(m.correlation, 1.0, 1e-6); /* Pearson ignores the scale */
    assert_int_equal(rbp_motif_compare(a, c, &m), RBP_OK);
    assert_true(m.correlation < 0.5);
    /* one-hot UGUAAAUA against PUM2: the uniform column is left out, so a perfect match is 1 */
    rbp_motif_set *t = NULL;
    assert_int_equal(rbp_motif_set_create(&t), RBP_OK);
    add_consensus(t, "x", "UGUAAAUA");
    add_consensus(t, "y", "GUAAAUAC"); /* shifted by one */
    assert_int_equal(rbp_motif_compare(&t->motifs[0], p, &m), RBP_OK);
    assert_float_equal(m.correlation, 1.0, 1e-6);
    assert_int_equal(rbp_motif_compare(&t->motifs[1], p, &m), RBP_OK);
    assert_int_equal(m.offset, -1);
    assert_int_equal(m.overlap, 7);
    assert_float_equal(m.correlation, 6.0 / 7.0, 1e-6); /* 6 of the 7 informative PUM2 columns paired */
    /* best match over a set */
    int32_t idx;
    assert_int_equal(rbp_motif_best_match(&t->motifs[0], s, &idx, &m), RBP_OK);
    assert_int_equal(idx, 4);
    rbp_motif_set *empty = NULL;
    assert_int_equal(rbp_motif_set_create(&empty), RBP_OK);
    assert_int_equal(rbp_motif_best_match(a, empty, &idx, &m), RBP_OK);
    assert_int_equal(idx, -1);
    /* consensus */
    char cons[16];
    assert_int_equal(rbp_motif_consensus(p, cons, sizeof cons), RBP_OK);
    assert_string_equal(cons, "UGUANAUA");
    float ry[2 * 4] = {0.45f, 0.05f, 0.45f, 0.05f, 0.05f, 0.5f, 0.0f, 0.45f};
    assert_int_equal(rbp_motif_set_add(t, "ry", ry, 2, 1), RBP_OK);
    assert_int_equal(rbp_motif_consensus(&t->motifs[2], cons, sizeof cons), RBP_OK);
    assert_string_equal(cons, "RY");
    assert_int_equal(rbp_motif_consensus(&t->motifs[2], cons, 2), RBP_ERR_INVALID_ARG);
    /* information: one-hot = 2 bits a column, uniform = 0 */
    assert_float_equal(a->information, 12.0, 1e-6);
    rbp_motif_set_free(empty);
    rbp_motif_set_free(t);
    rbp_motif_set_free(s);
}

static void test_meme_round_trip(void **state)
{
    (void)state;
    rbp_test_rng r;
    rbp_test_rng_seed(&r, 5);
    rbp_motif_set *s = NULL;
    assert_int_equal(rbp_motif_set_create(&s), RBP_OK);
    for (int k = 0; k < 3; k++) {
        float pwm[10 * 4];
        rbp_test_fill_uniform(&r, pwm, 10 * 4, 0.01f, 1.0f);
        char name[16];
        snprintf(name, sizeof name, "m%d", k);
        assert_int_equal(rbp_motif_set_add(s, name, pwm, 7 + k, k * 50), RBP_OK);
    }
    const char *path = rbp_test_path("motifs.meme"), *path2 = rbp_test_path("again.meme");
    assert_int_equal(rbp_motif_write_meme(s, path), RBP_OK);
    assert_int_equal(rbp_test_count_tmp_files(rbp_test_dir()), 0);
    rbp_motif_set *back = NULL;
    assert_int_equal(rbp_motif_read_meme(&back, path), RBP_OK);
    assert_int_equal(back->n_motifs, 3);
    for (int k = 0; k < 3; k++) {
        const rbp_motif *a = &s->motifs[k], *b = &back->motifs[k];
        assert_string_equal(a->name, b->name);
        assert_int_equal(a->width, b->width);
        assert_int_equal(a->n_sites, b->n_sites);
        assert_null(b->sites);
        assert_tensor_close(b->pwm, a->pwm, (size_t)a->width * 4, 1e-6, 0); /* 6 decimals in the file */
        assert_float_equal(a->information, b->information, 1e-4);
    }
    /* what was read writes the same bytes */
    assert_int_equal(rbp_motif_write_meme(back, path2), RBP_OK);
    size_t n1, n2;
    unsigned char *t1 = rbp_test_read_file(path, &n1), *t2 = rbp_test_read_file(path2, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(t1, t2, n1);
    assert_non_null(strstr((char *)t1, "MEME version 4"));
    assert_non_null(strstr((char *)t1, "ALPHABET= ACGU"));
    assert_non_null(strstr((char *)t1, "letter-probability matrix: alength= 4 w= 8 nsites= 50 E= 0"));
    free(t1);
    free(t2);
    rbp_motif_set_free(back);
    rbp_motif_set_free(s);

    /* the bundled known motifs parse */
    rbp_motif_set *known = NULL;
    assert_int_equal(rbp_motif_read_meme(&known, RBP_TEST_DATA_DIR "/known_rbp.meme"), RBP_OK);
    assert_true(known->n_motifs >= 4);
    rbp_motif_set_free(known);
}

static void test_meme_reader(void **state)
{
    (void)state;
    rbp_motif_set *s = NULL;
    /* DNA alphabet, no w=, rows not normalised, a full MEME output's extra lines */
    const char *dna = "MEME version 5.5.0\n\nALPHABET= ACGT\n\nstrands: + -\n\n"
                      "MOTIF TTT-1 MEME-1\n\nletter-probability matrix: alength= 4 nsites= 12 E= 1e-3\n"
                      "  0.0 0.0 0.0 2.0\n0.5\t0.5 0 0\n\nURL http://example.org\n";
    assert_int_equal(rbp_motif_read_meme(&s, rbp_test_write_file("dna.meme", dna, (size_t)-1)), RBP_OK);
    assert_int_equal(s->n_motifs, 1);
    assert_string_equal(s->motifs[0].name, "TTT-1");
    assert_int_equal(s->motifs[0].width, 2);
    assert_int_equal(s->motifs[0].n_sites, 12);
    assert_float_equal(s->motifs[0].pwm[3], 1.0f, 0);
    assert_float_equal(s->motifs[0].pwm[4], 0.5f, 0);
    rbp_motif_set_free(s);
    s = NULL;
    struct {
        const char *text, *needle;
    } bad[] = {
        {"MOTIF x\nletter-probability matrix: alength= 4 w= 1\n1 0 0 0\n", "MEME version"},
        {"MEME version 4\nALPHABET= ACDEFGHIKLMNPQRSTVWY\n", "alphabet"},
        {"MEME version 4\nALPHABET \"RNA\" RNA-LIKE\n", "custom alphabet"},
        {"MEME version 4\nMOTIF x\nMOTIF y\n", ":3: motif 'x'"},
        {"MEME version 4\nMOTIF x\n", "no letter-probability matrix"},
        {"MEME version 4\nMOTIF x\nletter-probability matrix: alength= 20 w= 1\n", "alength= 20"},
        {"MEME version 4\nMOTIF x\nletter-probability matrix: alength= 4 w= 2\n1 0 0 0\n0.5 0.5\n", ":5: matrix row 2"},
        {"MEME version 4\nMOTIF x\nletter-probability matrix: alength= 4 w= 2\n1 0 0 0\n", "1 of 2 matrix rows"},
        {"MEME version 4\nMOTIF x\nletter-probability matrix: alength= 4 w= 1\n-1 0 0 0\n", "negative"},
        {"MEME version 4\nletter-probability matrix: alength= 4 w= 1\n1 0 0 0\n", "outside a MOTIF"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "bad%zu.meme", i);
        const char *path = rbp_test_write_file(name, bad[i].text, (size_t)-1);
        assert_error_mentions(rbp_motif_read_meme(&s, path), RBP_ERR_FORMAT, bad[i].needle);
        assert_null(s);
        assert_non_null(strstr(rbp_last_error(), name));
    }
    assert_error_mentions(rbp_motif_read_meme(&s, "/no/such/file.meme"), RBP_ERR_IO, "/no/such/file.meme");
}

static void test_logo(void **state)
{
    (void)state;
    /* U G C with decreasing certainty, then a uniform column that draws nothing */
    float pwm[4 * 4] = {0, 0, 0, 1, 0.05f, 0.05f, 0.85f, 0.05f, 0.2f, 0.5f, 0.1f, 0.2f, 0.25f, 0.25f, 0.25f, 0.25f};
    rbp_plot_logo_opts o;
    assert_int_equal(rbp_plot_logo_opts_init(&o, RBP_PLOT_LOGO_OPTS_VERSION), RBP_OK);
    o.title = "logo <test>";
    const char *png = rbp_test_path("logo.png"), *svg = rbp_test_path("logo.svg");
    assert_int_equal(rbp_plot_logo_png(png, pwm, 4, &o), RBP_OK);
    assert_int_equal(rbp_plot_logo_svg(svg, pwm, 4, &o), RBP_OK);
    size_t n;
    unsigned char *b = rbp_test_read_file(png, &n);
    assert_true(n > 100);
    assert_memory_equal(b, "\x89PNG", 4);
    free(b);
    char *t = (char *)rbp_test_read_file(svg, &n);
    assert_non_null(strstr(t, "logo &lt;test&gt;"));
    /* letter paths in the track's colours: U red, G orange, C blue, A green; the one-hot U is
     * drawn 2 bits tall = the whole default 160 px */
    assert_non_null(strstr(t, "<path fill=\"#d62839\""));
    assert_non_null(strstr(t, "<path fill=\"#e69600\""));
    assert_non_null(strstr(t, "<path fill=\"#255c99\""));
    int paths = 0;
    for (char *p = t; (p = strstr(p, "<path")) != NULL; p++)
        paths++;
    assert_int_equal(paths, 1 + 4 + 4); /* column 4 (uniform, 0 bits) draws no letter */
    free(t);
    assert_int_equal(rbp_test_count_tmp_files(rbp_test_dir()), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_meme_round_trip),
        cmocka_unit_test(test_meme_reader),
        cmocka_unit_test(test_logo),
        cmocka_unit_test(test_one_planted_motif),
        cmocka_unit_test(test_two_planted_motifs),
    };
    return cmocka_run_group_tests_name("motif", tests, NULL, NULL);
}
