/*
 * test_optim.c - losses, optimizers, gradient clipping, learning-rate schedules and the
 * training configuration: hand-computed values, central finite differences and reference
 * numbers dumped from PyTorch (Debian python3-torch 1.13.0a0, /usr/bin/python3; the script is
 * quoted next to each table).
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "testutil.h"
#include <rbpattn/rbpattn.h>
#include "train/optim.h"

/* ---------------------------------------------------------------- losses */

static void test_bce_hand_values(void **state)
{
    (void)state;
    /* x = 0: loss = log 2 whatever the label; d/dx = (sigmoid(0) - y) / n. */
    const float x0[2] = {0.0f, 0.0f}, y0[2] = {1.0f, 0.0f};
    float d[7];
    assert_float_equal(rbp_loss_bce_logits(x0, y0, 2, 1.0f, d), log(2.0), 1e-15);
    assert_float_equal(d[0], -0.25f, 1e-8);
    assert_float_equal(d[1], 0.25f, 1e-8);
    /* x = 2, y = 1: log(1 + e^-2) = 0.126928011...; x = -1, y = 0: log(1 + e^-1) = 0.313261687... */
    const float x1[2] = {2.0f, -1.0f}, y1[2] = {1.0f, 0.0f};
    double l = rbp_loss_bce_logits(x1, y1, 2, 1.0f, NULL);
    assert_float_equal(l, (log1p(exp(-2.0)) + log1p(exp(-1.0))) / 2.0, 1e-12);
    assert_float_equal(l, (0.12692801104297252 + 0.31326168751822286) / 2.0, 1e-12);
    /* pos_weight scales only the positive term: 3 * log(1 + e^-2) + log(1 + e^-1). */
    l = rbp_loss_bce_logits(x1, y1, 2, 3.0f, NULL);
    assert_float_equal(l, (3.0 * 0.12692801104297252 + 0.31326168751822286) / 2.0, 1e-12);

    /* Extreme logits stay finite and exact (no exp overflow, no log(0)).
     * Reference: torch.nn.functional.binary_cross_entropy_with_logits in float64, torch 1.13.0a0:
     *   x = [-30, -2.5, -0.1, 0, 0.7, 3, 40], y = [1, 0, 1, 0.5, 0, 1, 0]
     *   pw=1: 10.38117242402889, grad -0.142857149, 0.0108368825, -0.0749970302, 0,
     *         0.0954553932, -0.00677512493, 0.142857149
     *   pw=3: 19.278188881945933, grad -0.428571433, 0.0108368825, -0.224991083,
     *         -0.0714285746, 0.0954553932, -0.0203253739, 0.142857149 */
    const float x[7] = {-30.0f, -2.5f, -0.1f, 0.0f, 0.7f, 3.0f, 40.0f};
    const float y[7] = {1.0f, 0.0f, 1.0f, 0.5f, 0.0f, 1.0f, 0.0f};
    const float g1[7] = {-0.142857149f, 0.0108368825f, -0.0749970302f, 0.0f, 0.0954553932f, -0.00677512493f,
                         0.142857149f};
    const float g3[7] = {-0.428571433f, 0.0108368825f, -0.224991083f, -0.0714285746f, 0.0954553932f,
                         -0.0203253739f, 0.142857149f};
    assert_float_equal(rbp_loss_bce_logits(x, y, 7, 1.0f, d), 10.38117242402889, 1e-12);
    assert_tensor_close(d, g1, 7, 1e-8, 1e-6);
    assert_float_equal(rbp_loss_bce_logits(x, y, 7, 3.0f, d), 19.278188881945933, 1e-12);
    assert_tensor_close(d, g3, 7, 1e-8, 1e-6);
    /* x = 1000: the naive log(1 + exp(x)) overflows; the stable form gives 1000 exactly. */
    const float big = 1000.0f, zero = 0.0f, one = 1.0f;
    assert_float_equal(rbp_loss_bce_logits(&big, &zero, 1, 1.0f, d), 1000.0, 1e-9);
    assert_float_equal(d[0], 1.0f, 0.0f);
    assert_float_equal(rbp_loss_bce_logits(&big, &one, 1, 1.0f, d), 0.0, 1e-300);
    assert_float_equal(d[0], 0.0f, 0.0f);
}

/* Central differences of the mean loss against the analytic gradient, in double. */
static void check_fd(int bce, float pos_weight)
{
    enum { N = 9 };
    rbp_test_rng r;
    float x[N], y[N], d[N];
    rbp_test_rng_seed(&r, bce ? 11 : 12);
    rbp_test_fill_uniform(&r, x, N, -4.0f, 4.0f);
    for (int i = 0; i < N; i++)
        y[i] = bce ? (float)(i % 3 == 0) : rbp_test_rng_uniform(&r, -2.0f, 2.0f);
    y[4] = bce ? 0.25f : y[4]; /* soft label */
    if (bce)
        rbp_loss_bce_logits(x, y, N, pos_weight, d);
    else
        rbp_loss_mse(x, y, N, d);
    for (int i = 0; i < N; i++) {
        const float h = 1e-2f;
        float xi = x[i];
        x[i] = xi + h;
        double lp = bce ? rbp_loss_bce_logits(x, y, N, pos_weight, NULL) : rbp_loss_mse(x, y, N, NULL);
        x[i] = xi - h;
        double lm = bce ? rbp_loss_bce_logits(x, y, N, pos_weight, NULL) : rbp_loss_mse(x, y, N, NULL);
        x[i] = xi;
        double fd = (lp - lm) / (2.0 * (double)h);
        if (fabs(fd - d[i]) > 1e-5 + 1e-3 * fabs(fd))
            fail_msg("%s pw=%g: d[%d] = %.9g, finite difference %.9g", bce ? "bce" : "mse", pos_weight, i, d[i],
                     fd);
    }
}

static void test_loss_finite_differences(void **state)
{
    (void)state;
    check_fd(1, 1.0f);
    check_fd(1, 2.5f);
    check_fd(0, 1.0f);
}

static void test_mse_hand_values(void **state)
{
    (void)state;
    const float p[3] = {1.0f, 2.0f, -1.0f}, t[3] = {0.0f, 2.5f, 1.0f};
    float d[3];
    /* (1 + 0.25 + 4) / 3 = 1.75; d = 2 (p - t) / 3 */
    assert_float_equal(rbp_loss_mse(p, t, 3, d), 1.75, 1e-15);
    assert_float_equal(d[0], 2.0f / 3.0f, 1e-7);
    assert_float_equal(d[1], -1.0f / 3.0f, 1e-7);
    assert_float_equal(d[2], -4.0f / 3.0f, 1e-7);
}

static void test_loss_bad_args(void **state)
{
    (void)state;
    const float x = 1.0f;
    assert_true(isnan(rbp_loss_bce_logits(NULL, &x, 1, 1.0f, NULL)));
    assert_true(isnan(rbp_loss_bce_logits(&x, NULL, 1, 1.0f, NULL)));
    assert_true(isnan(rbp_loss_bce_logits(&x, &x, 0, 1.0f, NULL)));
    assert_true(isnan(rbp_loss_mse(NULL, &x, 1, NULL)));
    assert_true(isnan(rbp_loss_mse(&x, &x, 0, NULL)));
    /* a NaN logit propagates (the trainer turns it into RBP_ERR_NUMERIC) */
    const float nanx = NAN, y = 1.0f;
    assert_true(isnan(rbp_loss_bce_logits(&nanx, &y, 1, 1.0f, NULL)));
}

/* ---------------------------------------------------------------- Adam / AdamW vs torch */

/*
 * Reference: torch 1.13.0a0 (Debian python3-torch), float32, three steps:
 *   p0 = [0.5, -1.25, 2.0, 0.0, -0.03125, 3.5]
 *   grads = [[0.1, -0.2, 0.3, -0.4, 0.5, 0.0], [-1.0, 2.0, 0.25, 0.125, -3.0, 1e-4],
 *            [0.01, 0.02, -0.03, 4.0, 0.0, -0.5]]
 *   lrs = [0.01, 0.02, 0.005]   (set in param_groups before each step)
 *   opt = torch.optim.Adam([p], lr=1.0, betas=..., eps=...)  /  torch.optim.AdamW(..., weight_decay=...)
 *   with betas, eps and weight_decay passed as float(np.float32(x)): our config stores them as
 *   float32, and torch forms (1 - beta2) from the double it is given, so 0.98 vs 0.98f alone
 *   moves v by 1e-6 relative.
 *   for g, lr in zip(grads, lrs): group["lr"] = lr; p.grad = g; opt.step()
 *   print p, state["exp_avg"], state["exp_avg_sq"] with %.9g
 */
static const float P0[6] = {0.5f, -1.25f, 2.0f, 0.0f, -0.03125f, 3.5f};
static const float GRADS[3][6] = {{0.1f, -0.2f, 0.3f, -0.4f, 0.5f, 0.0f},
                                  {-1.0f, 2.0f, 0.25f, 0.125f, -3.0f, 1e-4f},
                                  {0.01f, 0.02f, -0.03f, 4.0f, 0.0f, -0.5f}};
static const double LRS[3] = {0.01, 0.02, 0.005};

static void run_adam(float *p, float *m, float *v, float beta1, float beta2, float eps, float wd)
{
    memcpy(p, P0, sizeof P0);
    memset(m, 0, sizeof P0);
    memset(v, 0, sizeof P0);
    for (int t = 0; t < 3; t++)
        rbp__adam_update(p, m, v, GRADS[t], 6, LRS[t], beta1, beta2, eps, wd, t + 1);
}

static void test_adam_vs_torch(void **state)
{
    (void)state;
    float p[6], m[6], v[6];
    const float m_ref[6] = {-0.0809000134f, 0.165800035f, 0.0438000076f, 0.378850102f, -0.22950004f,
                            -0.0499910116f};
    const float v_ref[6] = {0.0197940636f, 0.0791762546f, 0.00297171739f, 0.323379219f, 0.181201831f,
                            0.00499999523f};
    /* Adam, betas (0.9, 0.98), eps 1e-9 (the study's) */
    const float p_ref[6] = {0.505985975f, -1.25604951f, 1.96656454f, 0.0154017806f, -0.0264156424f,
                            3.48835158f};
    run_adam(p, m, v, 0.9f, 0.98f, 1e-9f, 0.0f);
    assert_tensor_close(p, p_ref, 6, 0.0, 2.5e-7);
    assert_tensor_close(m, m_ref, 6, 0.0, 2.5e-7);
    assert_tensor_close(v, v_ref, 6, 0.0, 2.5e-7);
    /* eps 1e-3: eps is added after the bias-corrected sqrt(v) (visible in element 5, whose
     * early gradients are tiny) */
    const float p_ref_eps[6] = {0.506061852f, -1.25608754f, 1.9666853f, 0.0153498054f, -0.0264028031f,
                                3.50216961f};
    run_adam(p, m, v, 0.9f, 0.98f, 1e-3f, 0.0f);
    assert_tensor_close(p, p_ref_eps, 6, 0.0, 2.5e-7);
}

static void test_adamw_vs_torch(void **state)
{
    (void)state;
    float p[6], m[6], v[6];
    /* AdamW, betas (0.9, 0.98), eps 1e-9, weight_decay 0.01 */
    const float p_ref[6] = {0.505812824f, -1.2556138f, 1.96586812f, 0.0153988637f, -0.0264028274f,
                            3.48712754f};
    run_adam(p, m, v, 0.9f, 0.98f, 1e-9f, 0.01f);
    assert_tensor_close(p, p_ref, 6, 0.0, 2.5e-7);
    /* AdamW, betas (0.8, 0.999), eps 1e-8, weight_decay 0.5 */
    const float p_ref2[6] = {0.498327494f, -1.23533881f, 1.9323498f, 0.0137794632f, -0.0247574113f,
                             3.42693472f};
    const float m_ref2[6] = {-0.145199984f, 0.298399985f, 0.0724000037f, 0.768799961f, -0.415999979f,
                             -0.0999839976f};
    const float v_ref2[6] = {0.00100906694f, 0.00403626775f, 0.000153155634f, 0.016175082f,
                             0.00924038142f, 0.000249996781f};
    run_adam(p, m, v, 0.8f, 0.999f, 1e-8f, 0.5f);
    assert_tensor_close(p, p_ref2, 6, 0.0, 2.5e-7);
    assert_tensor_close(m, m_ref2, 6, 0.0, 2.5e-7);
    assert_tensor_close(v, v_ref2, 6, 0.0, 2.5e-7);
}

/* The first Adam step moves every parameter by about lr * sign(g) (m/sqrt(v) = g/|g| after
 * bias correction), whatever the gradient's scale: a check independent of torch. */
static void test_adam_first_step_by_hand(void **state)
{
    (void)state;
    float p[4] = {1.0f, 1.0f, 1.0f, 1.0f}, m[4] = {0}, v[4] = {0};
    const float g[4] = {1e-3f, -5.0f, 250.0f, 0.0f};
    rbp__adam_update(p, m, v, g, 4, 0.1, 0.9f, 0.98f, 1e-9f, 0.0f, 1);
    assert_float_equal(p[0], 0.9f, 1e-6);
    assert_float_equal(p[1], 1.1f, 1e-6);
    assert_float_equal(p[2], 0.9f, 1e-6);
    assert_float_equal(p[3], 1.0f, 0.0f); /* zero gradient: m = 0, no move */
    /* decoupled decay on a zero gradient: p * (1 - lr * wd) exactly */
    float q = 2.0f, mq = 0.0f, vq = 0.0f, gq = 0.0f;
    rbp__adam_update(&q, &mq, &vq, &gq, 1, 0.1, 0.9f, 0.98f, 1e-9f, 0.5f, 1);
    assert_float_equal(q, 2.0f * (1.0f - 0.05f), 1e-7);
}

/* ---------------------------------------------------------------- clipping */

static void test_clip_grad_norm(void **state)
{
    (void)state;
    /* torch.nn.utils.clip_grad_norm_([p], 2.0) with p.grad = [3, -4, 12, 0.5, -0.25, 1e-3]
     * (torch 1.13.0a0): norm 13.0120134, grad -> 0.46111232, -0.614816427, 1.84444928,
     * 0.0768520534, -0.0384260267, 0.00015370411 */
    float g[6] = {3.0f, -4.0f, 12.0f, 0.5f, -0.25f, 1e-3f};
    const float ref[6] = {0.46111232f, -0.614816427f, 1.84444928f, 0.0768520534f, -0.0384260267f,
                          0.00015370411f};
    assert_float_equal(rbp__grad_global_norm(g, 6), sqrt(9.0 + 16.0 + 144.0 + 0.25 + 0.0625 + 1e-6), 1e-9);
    double norm = rbp__clip_grad_norm(g, 6, 2.0);
    assert_float_equal(norm, 13.0120134, 1e-6);
    assert_tensor_close(g, ref, 6, 0.0, 1e-6);
    assert_float_equal(rbp__grad_global_norm(g, 6), 2.0, 1e-5);
    /* under the limit: untouched, bit for bit */
    float h[3] = {0.1f, 0.2f, -0.2f};
    const float h0[3] = {0.1f, 0.2f, -0.2f};
    assert_float_equal(rbp__clip_grad_norm(h, 3, 1.0), 0.3, 1e-7);
    assert_memory_equal(h, h0, sizeof h);
    /* a non-finite gradient is reported and left alone */
    float bad[2] = {1.0f, INFINITY};
    assert_true(isinf(rbp__clip_grad_norm(bad, 2, 1.0)));
    assert_float_equal(bad[0], 1.0f, 0.0f);
    /* the sum runs in double: 4M values of 1e-3 have norm 2 (a float sum would drift) */
    enum { BIG = 1 << 22 };
    static float ones[BIG];
    for (size_t i = 0; i < BIG; i++)
        ones[i] = 1e-3f;
    assert_float_equal(rbp__grad_global_norm(ones, BIG), sqrt((double)BIG) * (double)1e-3f, 1e-9);
}

/* ---------------------------------------------------------------- schedules */

static void test_schedule_transformer(void **state)
{
    (void)state;
    rbp_train_config c;
    assert_int_equal(rbp_train_config_init(&c, RBP_TRAIN_CONFIG_VERSION), RBP_OK);
    /* d = 64, warmup 4000: lr = 64^-0.5 * min(s^-0.5, s * 4000^-1.5) */
    assert_float_equal(rbp_schedule_lr(&c, 64, 1, 0), 0.125 * pow(4000.0, -1.5), 1e-15);
    assert_float_equal(rbp_schedule_lr(&c, 64, 1, 0), 4.9410588e-7, 1e-13);
    assert_float_equal(rbp_schedule_lr(&c, 64, 2000, 0), 0.125 * 2000.0 * pow(4000.0, -1.5), 1e-15);
    assert_float_equal(rbp_schedule_lr(&c, 64, 4000, 0), 0.125 / sqrt(4000.0), 1e-15); /* peak */
    assert_float_equal(rbp_schedule_lr(&c, 64, 4000, 0), 0.0019764235376052372, 1e-15);
    assert_float_equal(rbp_schedule_lr(&c, 64, 16000, 0), 0.125 / 126.49110640673517, 1e-15);
    /* step 0 is treated as step 1 */
    assert_float_equal(rbp_schedule_lr(&c, 64, 0, 0), rbp_schedule_lr(&c, 64, 1, 0), 0.0);
    /* lr_scale multiplies, d = 256 halves vs d = 64 */
    c.lr_scale = 2.0f;
    assert_float_equal(rbp_schedule_lr(&c, 256, 4000, 0), 2.0 * 0.0625 / sqrt(4000.0), 1e-15);
    /* no warmup: pure inverse square root */
    c.lr_scale = 1.0f;
    c.warmup_steps = 0;
    assert_float_equal(rbp_schedule_lr(&c, 64, 100, 0), 0.0125, 1e-15);
    assert_true(isnan(rbp_schedule_lr(&c, 0, 100, 0)));
    assert_true(isnan(rbp_schedule_lr(NULL, 64, 100, 0)));
}

static void test_schedule_constant_cosine(void **state)
{
    (void)state;
    rbp_train_config c;
    rbp_train_config_init(&c, RBP_TRAIN_CONFIG_VERSION);
    c.schedule = RBP_SCHED_CONSTANT;
    c.lr = 1e-3f;
    c.warmup_steps = 0;
    assert_float_equal(rbp_schedule_lr(&c, 64, 1, 100), (double)1e-3f, 0.0);
    assert_float_equal(rbp_schedule_lr(&c, 64, 5000, 100), (double)1e-3f, 0.0);
    c.warmup_steps = 10;
    assert_float_equal(rbp_schedule_lr(&c, 64, 1, 100), (double)1e-3f * 0.1, 1e-18);
    assert_float_equal(rbp_schedule_lr(&c, 64, 5, 100), (double)1e-3f * 0.5, 1e-18);
    assert_float_equal(rbp_schedule_lr(&c, 64, 10, 100), (double)1e-3f, 0.0);
    assert_float_equal(rbp_schedule_lr(&c, 64, 11, 100), (double)1e-3f, 0.0);

    /* cosine, warmup 10, 110 steps: ramp, peak at 10, half at 60, 0 at 110 */
    c.schedule = RBP_SCHED_COSINE;
    const double lr = (double)1e-3f;
    assert_float_equal(rbp_schedule_lr(&c, 64, 5, 110), lr * 0.5, 1e-18);
    assert_float_equal(rbp_schedule_lr(&c, 64, 10, 110), lr, 1e-18);
    assert_float_equal(rbp_schedule_lr(&c, 64, 35, 110), lr * 0.5 * (1.0 + sqrt(0.5)), 1e-15);
    assert_float_equal(rbp_schedule_lr(&c, 64, 35, 110), lr * 0.85355339059327373, 1e-15);
    assert_float_equal(rbp_schedule_lr(&c, 64, 60, 110), lr * 0.5, 1e-15);
    assert_float_equal(rbp_schedule_lr(&c, 64, 85, 110), lr * 0.14644660940672624, 1e-15);
    assert_float_equal(rbp_schedule_lr(&c, 64, 110, 110), 0.0, 1e-18);
    assert_float_equal(rbp_schedule_lr(&c, 64, 500, 110), 0.0, 1e-18); /* past the end: stays 0 */
    /* no warmup: cosine from the first step */
    c.warmup_steps = 0;
    assert_float_equal(rbp_schedule_lr(&c, 64, 50, 100), lr * 0.5, 1e-15);
    /* total unknown (<= warmup): constant peak after warmup */
    assert_float_equal(rbp_schedule_lr(&c, 64, 50, 0), lr, 0.0);
    c.schedule = 7;
    assert_true(isnan(rbp_schedule_lr(&c, 64, 50, 100)));
}

/* ---------------------------------------------------------------- configuration */

static void test_config_defaults(void **state)
{
    (void)state;
    rbp_train_config c;
    memset(&c, 0xAB, sizeof c);
    assert_int_equal(rbp_train_config_init(&c, RBP_TRAIN_CONFIG_VERSION), RBP_OK);
    assert_int_equal(c.version, RBP_TRAIN_CONFIG_VERSION);
    assert_int_equal(c.epochs, 20);
    assert_int_equal(c.batch_size, 64);
    assert_int_equal(c.optimizer, RBP_OPT_ADAM);
    assert_float_equal(c.lr, 1e-3f, 0.0f);
    assert_float_equal(c.lr_scale, 1.0f, 0.0f);
    assert_float_equal(c.beta1, 0.9f, 0.0f);
    assert_float_equal(c.beta2, 0.98f, 0.0f);
    assert_float_equal(c.eps, 1e-9f, 0.0f);
    assert_float_equal(c.weight_decay, 0.01f, 0.0f);
    assert_int_equal(c.schedule, RBP_SCHED_TRANSFORMER);
    assert_int_equal(c.warmup_steps, 4000);
    assert_float_equal(c.clip_norm, 0.0f, 0.0f);
    assert_float_equal(c.pos_weight, 1.0f, 0.0f);
    assert_int_equal(c.seed, 1);
    assert_int_equal(c.patience, 0);
    assert_int_equal(c.monitor, RBP_MONITOR_VAL_LOSS);
    assert_int_equal(c.restore_best, 1);
    assert_int_equal(c.eval_batch_size, 256);
    assert_int_equal(c.n_threads, 1);
    assert_float_equal(c.ema_decay, 0.0f, 0.0f);
    assert_null(rbp_train_config_check(&c));

    assert_int_equal(rbp_train_config_init(NULL, RBP_TRAIN_CONFIG_VERSION), RBP_ERR_INVALID_ARG);
    assert_non_null(strstr(rbp_last_error(), "cfg"));
    assert_int_equal(rbp_train_config_init(&c, 99), RBP_ERR_INVALID_ARG);
    assert_non_null(strstr(rbp_last_error(), "version 99"));
}

/* A caller built against version 1 (or 2) passes a struct that ends before n_threads (or
 * ema_decay): init and rbp_preset_apply write it only that far, and check and
 * rbp_trainer_create read only that far (what lies beyond is 0xAA bytes here: an n_threads or
 * ema_decay read from them would be refused) and train on 1 thread without an average. */
static void test_config_version1(void **state)
{
    (void)state;
    const size_t ends[2] = {offsetof(rbp_train_config, n_threads), offsetof(rbp_train_config, ema_decay)};
    for (uint32_t version = 1; version <= 2; version++) {
        union {
            rbp_train_config c;
            unsigned char b[sizeof(rbp_train_config) + 16];
        } u;
        memset(&u, 0xAA, sizeof u);
        assert_int_equal(rbp_train_config_init(&u.c, version), RBP_OK);
        assert_int_equal(rbp_preset_apply("small", NULL, &u.c, NULL, NULL), RBP_OK);
        for (size_t i = ends[version - 1]; i < sizeof u.b; i++)
            assert_int_equal(u.b[i], 0xAA);
        assert_int_equal(u.c.version, version);
        assert_null(rbp_train_config_check(&u.c));
        rbp_model_config mc;
        rbp_model_config_init(&mc, RBP_MODEL_CONFIG_VERSION);
        mc.seq_len = 12, mc.d_model = 8, mc.n_heads = 2, mc.n_layers = 1, mc.d_ff = 8, mc.head_hidden = 4;
        rbp_model *m = NULL;
        assert_int_equal(rbp_model_create(&m, &mc), RBP_OK);
        rbp_trainer *t = NULL;
        assert_int_equal(rbp_trainer_create(&t, m, &u.c), RBP_OK);
        rbp_trainer_free(t);
        rbp_model_free(m);
        assert_int_equal(rbp_train_config_init(&u.c, RBP_TRAIN_CONFIG_VERSION + 1), RBP_ERR_INVALID_ARG);
        u.c.version = RBP_TRAIN_CONFIG_VERSION + 1;
        assert_non_null(strstr(rbp_train_config_check(&u.c), "version"));
    }
}

/* Each bad field is rejected with a message that names it. */
static void test_config_check_messages(void **state)
{
    (void)state;
    rbp_train_config c;
#define BAD(field, value, word)                                                                            \
    do {                                                                                                   \
        rbp_train_config_init(&c, RBP_TRAIN_CONFIG_VERSION);                                              \
        c.field = value;                                                                                   \
        const char *why = rbp_train_config_check(&c);                                                      \
        if (why == NULL || strstr(why, word) == NULL)                                                      \
            fail_msg("%s = %s: got '%s', expected a message naming '%s'", #field, #value, why ? why : "NULL", \
                     word);                                                                                \
    } while (0)
    BAD(version, 0, "version");
    BAD(version, RBP_TRAIN_CONFIG_VERSION + 1, "version");
    BAD(epochs, 0, "epochs");
    BAD(batch_size, 0, "batch_size");
    BAD(batch_size, 1 << 21, "batch_size");
    BAD(optimizer, 2, "optimizer");
    BAD(optimizer, -1, "optimizer");
    BAD(lr, 0.0f, "lr");
    BAD(lr, -1e-3f, "lr");
    BAD(lr, NAN, "lr");
    BAD(lr, INFINITY, "lr");
    BAD(lr_scale, 0.0f, "lr_scale");
    BAD(beta1, 1.0f, "beta1");
    BAD(beta1, -0.1f, "beta1");
    BAD(beta1, NAN, "beta1");
    BAD(beta2, 1.0f, "beta2");
    BAD(eps, 0.0f, "eps");
    BAD(eps, NAN, "eps");
    BAD(weight_decay, -0.01f, "weight_decay");
    BAD(schedule, 3, "schedule");
    BAD(warmup_steps, -1, "warmup_steps");
    BAD(clip_norm, -1.0f, "clip_norm");
    BAD(clip_norm, NAN, "clip_norm");
    BAD(pos_weight, 0.0f, "pos_weight");
    BAD(pos_weight, INFINITY, "pos_weight");
    BAD(patience, -1, "patience");
    BAD(monitor, 3, "monitor");
    BAD(restore_best, 2, "restore_best");
    BAD(eval_batch_size, 0, "eval_batch_size");
    BAD(n_threads, 0, "n_threads");
    BAD(n_threads, 1025, "n_threads");
    BAD(ema_decay, 1.0f, "ema_decay");
    BAD(ema_decay, -0.1f, "ema_decay");
    BAD(ema_decay, NAN, "ema_decay");
#undef BAD
    assert_non_null(rbp_train_config_check(NULL));
    /* legal corner values */
    rbp_train_config_init(&c, RBP_TRAIN_CONFIG_VERSION);
    c.beta1 = 0.0f;
    c.weight_decay = 0.0f;
    c.warmup_steps = 0;
    c.optimizer = RBP_OPT_ADAMW;
    c.schedule = RBP_SCHED_COSINE;
    c.monitor = RBP_MONITOR_VAL_R2;
    c.restore_best = 0;
    assert_null(rbp_train_config_check(&c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bce_hand_values),
        cmocka_unit_test(test_mse_hand_values),
        cmocka_unit_test(test_loss_finite_differences),
        cmocka_unit_test(test_loss_bad_args),
        cmocka_unit_test(test_adam_vs_torch),
        cmocka_unit_test(test_adamw_vs_torch),
        cmocka_unit_test(test_adam_first_step_by_hand),
        cmocka_unit_test(test_clip_grad_norm),
        cmocka_unit_test(test_schedule_transformer),
        cmocka_unit_test(test_schedule_constant_cosine),
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_check_messages),
        cmocka_unit_test(test_config_version1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
