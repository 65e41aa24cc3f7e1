#!/usr/bin/env python3
"""credence against scikit-learn and pomegranate on the same data, in one run, as time ratios.

    /usr/bin/python3 bench/classical_bench.py --bench build/bench/classical_bench [--threads 2] [--repeats 5]
        [--cases gmm,blr,gp,hmm] [--gp-sizes 2000,5000] [--gp-iter 30] [--hmm-iter 10]

Cases (issue 5): GaussianMixture, 10 components, full covariances, 20,000 points in 10
dimensions, 100 EM steps from the same start (tol=0 on both sides, so the iteration count is
equal); BayesianRidge with its defaults on 100,000 rows and 50 features. Issue 16:
GaussianProcessRegressor with ConstantKernel * RBF + WhiteKernel (credence's rbf+white) on
n = 2000 and 5000 rows of 3 features, from all-ones in scikit-learn's bounds, no restarts,
--gp-iter L-BFGS iterations on both sides (scipy's L-BFGS-B through an `optimizer` callable),
then the predictive mean and std of 2000 rows; pomegranate's HiddenMarkovModel, 8 states with
full-covariance 4-d Gaussians, 10 sequences of 10,000 observations, --hmm-iter Baum-Welch
steps from the same start on both sides. Both sides get the same thread count (BLAS/OpenMP
threads for numpy, intra-op threads for LibTorch; pomegranate n_jobs=1). The data is drawn
here and handed to the C++ program as raw float64 files.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", required=True, help="path of the classical_bench executable")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--gmm-iter", type=int, default=100)
    parser.add_argument("--cases", default="gmm,blr,gp,hmm")
    parser.add_argument("--gp-sizes", default="2000,5000")
    parser.add_argument("--gp-iter", type=int, default=30)
    parser.add_argument("--hmm-iter", type=int, default=10)
    args = parser.parse_args()
    cases = args.cases.split(",")
    gp_sizes = [int(n) for n in args.gp_sizes.split(",")]
    # Thread limits must be in place before numpy loads its BLAS.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)
    import numpy as np
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import BayesianRidge
    from sklearn.mixture import GaussianMixture
    import warnings

    rng = np.random.RandomState(0)
    centres = rng.normal(scale=4.0, size=(10, 10))
    labels = rng.randint(10, size=20000)
    gmm_x = centres[labels] + rng.normal(size=(20000, 10)) @ np.diag(rng.uniform(0.5, 1.5, size=10))
    weights = np.full(10, 0.1)
    means = gmm_x[rng.choice(20000, 10, replace=False)]
    covariances = np.array([np.cov(gmm_x.T) for _ in range(10)])
    blr_x = rng.normal(size=(100000, 50))
    blr_y = blr_x @ rng.normal(size=50) + 0.5 * rng.normal(size=100000) + 3.0
    arrays = [("gmm_x", gmm_x), ("gmm_weights", weights), ("gmm_means", means), ("gmm_covariances", covariances),
              ("blr_x", blr_x), ("blr_y", blr_y)]

    gp_data = {}
    gp_test = rng.uniform(-3.0, 3.0, size=(2000, 3))
    for n in gp_sizes:
        x = rng.uniform(-3.0, 3.0, size=(n, 3))
        y = np.sin(x[:, 0]) * np.cos(x[:, 1]) + 0.1 * x[:, 2] + 0.1 * rng.normal(size=n)
        gp_data[n] = (x, y)
        arrays += [(f"gp_x_{n}", x), (f"gp_y_{n}", y)]
    arrays.append(("gp_test", gp_test))

    # An 8-state chain that mostly stays, 4-d full-covariance emissions; the start is perturbed.
    k, d = 8, 4
    hmm_means_true = rng.normal(scale=3.0, size=(k, d))
    factors = rng.normal(scale=0.5, size=(k, d, d))
    hmm_cov_true = factors @ factors.transpose(0, 2, 1) + 0.5 * np.eye(d)
    hmm_transition_true = np.full((k, k), 0.1 / (k - 1)) + np.eye(k) * (0.9 - 0.1 / (k - 1))
    sequences = []
    for _ in range(10):
        z = np.empty(10000, dtype=int)
        z[0] = rng.randint(k)
        uniforms = rng.uniform(size=10000)
        cumulative = np.cumsum(hmm_transition_true, axis=1)
        for t in range(1, 10000):
            z[t] = min(np.searchsorted(cumulative[z[t - 1]], uniforms[t]), k - 1)
        noise = rng.normal(size=(10000, d))
        sequences.append(hmm_means_true[z] + np.einsum("tij,tj->ti", np.linalg.cholesky(hmm_cov_true)[z], noise))
    hmm_x = np.vstack(sequences)
    hmm_start = np.full(k, 1.0 / k)
    hmm_transition = np.full((k, k), 0.5 / (k - 1)) + np.eye(k) * (0.5 - 0.5 / (k - 1))
    hmm_means = hmm_means_true + rng.normal(size=(k, d))
    hmm_covariances = np.array([2.0 * np.eye(d)] * k)
    arrays += [("hmm_x", hmm_x), ("hmm_start", hmm_start), ("hmm_transition", hmm_transition), ("hmm_means", hmm_means),
               ("hmm_covariances", hmm_covariances)]

    with tempfile.TemporaryDirectory() as scratch:
        for name, array in arrays:
            np.ascontiguousarray(array, dtype=np.float64).tofile(os.path.join(scratch, name))
        completed = subprocess.run([args.bench, scratch, "--threads", str(args.threads), "--repeats", str(args.repeats),
                                    "--gmm-iter", str(args.gmm_iter), "--cases", args.cases, "--gp-sizes", args.gp_sizes,
                                    "--gp-iter", str(args.gp_iter), "--hmm-iter", str(args.hmm_iter)],
                                   capture_output=True, text=True)
        if completed.returncode != 0:
            sys.exit(completed.stderr.strip())
        credence = json.loads(completed.stdout)

    def median_seconds(run):
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return sorted(times)[len(times) // 2]

    precisions = np.linalg.inv(covariances)
    result = {}

    def fit_gmm():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = GaussianMixture(n_components=10, covariance_type="full", weights_init=weights, means_init=means,
                                    precisions_init=precisions, max_iter=args.gmm_iter, tol=0.0).fit(gmm_x)
        result["gmm_score"] = model.score(gmm_x)

    def fit_blr():
        result["blr"] = BayesianRidge().fit(blr_x, blr_y)

    report = {"threads": args.threads, "sklearn_version": sklearn.__version__}
    if "gmm" in cases:
        gmm_seconds = median_seconds(fit_gmm)
        report["gmm"] = {"credence_s": credence["gmm_seconds"], "sklearn_s": gmm_seconds,
                         "ratio": credence["gmm_seconds"] / gmm_seconds, "iterations": args.gmm_iter,
                         "score_credence": credence["gmm_score"], "score_sklearn": result["gmm_score"]}
        print(f"GMM (10 comp., full, 20000x10, {args.gmm_iter} EM steps): credence {credence['gmm_seconds']:.3f} s, "
              f"sklearn {gmm_seconds:.3f} s, ratio {report['gmm']['ratio']:.2f}")
    if "blr" in cases:
        blr_seconds = median_seconds(fit_blr)
        blr = result["blr"]
        report["bayesian_ridge"] = {"credence_s": credence["blr_seconds"], "sklearn_s": blr_seconds,
                                    "ratio": credence["blr_seconds"] / blr_seconds,
                                    "n_iter_credence": credence["blr_n_iter"], "n_iter_sklearn": int(blr.n_iter_),
                                    "noise_precision_credence": credence["blr_beta"], "noise_precision_sklearn": blr.alpha_}
        print(f"BayesianRidge (100000x50): credence {credence['blr_seconds']:.3f} s, sklearn {blr_seconds:.3f} s, "
              f"ratio {report['bayesian_ridge']['ratio']:.2f}")
    if "gp" in cases:
        import scipy.optimize
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
        counts = {}

        def optimizer(obj_func, initial_theta, bounds):
            fitted = scipy.optimize.minimize(obj_func, initial_theta, method="L-BFGS-B", jac=True, bounds=bounds,
                                             options={"maxiter": args.gp_iter})
            counts["iterations"], counts["evaluations"] = int(fitted.nit), int(fitted.nfev)
            return fitted.x, fitted.fun

        report["gp"] = {}
        for n in gp_sizes:
            x, y = gp_data[n]

            def fit_gp():
                result["gp"] = GaussianProcessRegressor(ConstantKernel(1.0) * RBF(1.0) + WhiteKernel(1.0), alpha=0.0,
                                                        optimizer=optimizer, n_restarts_optimizer=0).fit(x, y)

            def predict_gp():
                result["gp_prediction"] = result["gp"].predict(gp_test, return_std=True)

            fit_seconds = median_seconds(fit_gp)
            predict_seconds = median_seconds(predict_gp)
            ours = credence["gp"][str(n)]
            report["gp"][n] = {
                "credence_fit_s": ours["fit_seconds"], "sklearn_fit_s": fit_seconds, "fit_ratio": ours["fit_seconds"] / fit_seconds,
                "credence_predict_s": ours["predict_seconds"], "sklearn_predict_s": predict_seconds,
                "predict_ratio": ours["predict_seconds"] / predict_seconds,
                "iterations_credence": ours["iterations"], "iterations_sklearn": counts["iterations"],
                "evaluations_credence": ours["evaluations"], "evaluations_sklearn": counts["evaluations"],
                "lml_credence": ours["lml"], "lml_sklearn": float(result["gp"].log_marginal_likelihood_value_),
                "kernel_credence": ours["kernel"], "kernel_sklearn": str(result["gp"].kernel_),
                "mean_std_credence": ours["mean_std"], "mean_std_sklearn": float(result["gp_prediction"][1].mean()),
            }
            r = report["gp"][n]
            print(f"GP rbf+white, n={n}, {args.gp_iter} L-BFGS iterations: fit credence {r['credence_fit_s']:.2f} s "
                  f"({r['evaluations_credence']} evaluations), sklearn {fit_seconds:.2f} s ({r['evaluations_sklearn']}), "
                  f"ratio {r['fit_ratio']:.2f}; predict 2000 rows credence {r['credence_predict_s']:.3f} s, "
                  f"sklearn {predict_seconds:.3f} s, ratio {r['predict_ratio']:.2f}")
    if "hmm" in cases:
        import pomegranate
        from pomegranate import HiddenMarkovModel, MultivariateGaussianDistribution
        names = [f"s{i}" for i in range(k)]
        sequences_list = [hmm_x[i * 10000:(i + 1) * 10000] for i in range(10)]

        def fit_hmm():
            model = HiddenMarkovModel.from_matrix(hmm_transition, [MultivariateGaussianDistribution(m, c)
                                                                   for m, c in zip(hmm_means, hmm_covariances)],
                                                  hmm_start, state_names=names)
            # max_iterations = min_iterations = N - 1 makes N EM steps (tests/classical/reference checks the count).
            model.fit(sequences_list, algorithm="baum-welch", max_iterations=args.hmm_iter - 1,
                      min_iterations=args.hmm_iter - 1, stop_threshold=-1.0, n_jobs=1)
            result["hmm"] = model

        hmm_seconds = median_seconds(fit_hmm)
        pomegranate_ll = float(sum(result["hmm"].log_probability(s) for s in sequences_list))
        report["hmm"] = {"credence_s": credence["hmm_seconds"], "pomegranate_s": hmm_seconds,
                         "ratio": credence["hmm_seconds"] / hmm_seconds, "iterations": args.hmm_iter,
                         "per_iteration_credence_s": credence["hmm_seconds"] / args.hmm_iter,
                         "per_iteration_pomegranate_s": hmm_seconds / args.hmm_iter,
                         "log_likelihood_credence": credence["hmm_log_likelihood"], "log_likelihood_pomegranate": pomegranate_ll,
                         "pomegranate_version": pomegranate.__version__}
        print(f"HMM Baum-Welch (8 states, full 4-d Gaussians, 100000 observations, {args.hmm_iter} steps): "
              f"credence {credence['hmm_seconds'] / args.hmm_iter:.3f} s per step, "
              f"pomegranate {hmm_seconds / args.hmm_iter:.3f} s, ratio {report['hmm']['ratio']:.2f}")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
