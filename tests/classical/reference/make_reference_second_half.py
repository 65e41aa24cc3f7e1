#!/usr/bin/env python3
"""Regenerates the references of the Gaussian process, logistic regression and HMM tests.

    /usr/bin/python3 tests/classical/reference/make_reference_second_half.py

Uses Debian's python3-sklearn (1.2.1 for the committed files) and python3-pomegranate (0.14.8).
Every data set is drawn here from a fixed seed and stored beside the values, so the C++ tests
need neither Python nor these packages. Writes gp.json, logistic.json and hmm.json.
"""
import os
import sys
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import (RBF, ConstantKernel, DotProduct, ExpSineSquared, Matern,
                                              RationalQuadratic, WhiteKernel)
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import save, tolist  # noqa: E402  (the same file format as the first half's)


# --- Gaussian processes ------------------------------------------------------------------------

def gp_cases(v, l, n, third, dims):
    """(credence kernel, scikit-learn kernel) pairs with the same values: v variance, l length
    scale(s), n noise level, third the rational quadratic's alpha or the period."""
    ls = "[" + ", ".join(repr(float(x)) for x in l) + "]" if np.ndim(l) else repr(float(l))
    white = f"white(noise_level={n!r})"
    return {
        "rbf": (f"rbf(variance={v!r}, length_scale={ls}) + {white}", ConstantKernel(v) * RBF(l) + WhiteKernel(n)),
        "matern12": (f"matern12(variance={v!r}, length_scale={ls}) + {white}", ConstantKernel(v) * Matern(l, nu=0.5) + WhiteKernel(n)),
        "matern32": (f"matern32(variance={v!r}, length_scale={ls}) + {white}", ConstantKernel(v) * Matern(l, nu=1.5) + WhiteKernel(n)),
        "matern52": (f"matern52(variance={v!r}, length_scale={ls}) + {white}", ConstantKernel(v) * Matern(l, nu=2.5) + WhiteKernel(n)),
    }


def gp_isotropic_cases(v, l, n, third):
    white = f"white(noise_level={n!r})"
    return {
        "rq": (f"rq(variance={v!r}, length_scale={l!r}, alpha={third!r}) + {white}",
               ConstantKernel(v) * RationalQuadratic(l, third) + WhiteKernel(n)),
        # v sigma_0^2 + v x.x' in scikit-learn's parameters is constant + linear in credence's.
        "linear": (f"linear(variance={v!r}) + constant(value={v * l * l!r}) + {white}",
                   ConstantKernel(v) * DotProduct(sigma_0=l) + WhiteKernel(n)),
        "rbf_times_matern": (f"rbf(variance={v!r}, length_scale={l!r}) * matern32(length_scale={third!r}) + {white}",
                             ConstantKernel(v) * RBF(l) * Matern(third, nu=1.5) + WhiteKernel(n)),
        "rbf_plus_rq": (f"rbf(variance={v!r}, length_scale={l!r}) + rq(length_scale={third!r}) + {white}",
                        ConstantKernel(v) * RBF(l) + RationalQuadratic(third) + WhiteKernel(n)),
    }


def gp_periodic_cases(v, l, n, third):
    # One dimension, where scikit-learn's ExpSineSquared is credence's periodic kernel.
    return {"periodic": (f"periodic(variance={v!r}, length_scale={l!r}, period={third!r}) + white(noise_level={n!r})",
                         ConstantKernel(v) * ExpSineSquared(l, third) + WhiteKernel(n))}


def gp_case(x, y, x_test, ours, theirs, starts):
    model = GaussianProcessRegressor(theirs, alpha=0.0, optimizer=None).fit(x, y)
    mean, std = model.predict(x_test, return_std=True)
    case = {"kernel": ours, "lml": float(model.log_marginal_likelihood_value_),
            "mean": tolist(mean), "std": tolist(std), "starts": []}
    for start_ours, start_theirs in starts:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fitted = GaussianProcessRegressor(start_theirs, alpha=0.0, n_restarts_optimizer=0).fit(x, y)
        case["starts"].append({"kernel": start_ours, "lml": float(fitted.log_marginal_likelihood_value_),
                               "fitted": str(fitted.kernel_)})
    return case


def gp(rng):
    x = rng.uniform(-2.0, 2.0, size=(40, 2))
    y = np.sin(2.0 * x[:, 0]) + 0.5 * x[:, 1] ** 2 + 0.1 * rng.normal(size=40)
    x_test = rng.uniform(-3.0, 3.0, size=(15, 2))
    x1 = rng.uniform(0.0, 6.0, size=(40, 1))
    y1 = np.sin(2.0 * np.pi * x1[:, 0] / 1.7) + 0.1 * rng.normal(size=40)
    x1_test = rng.uniform(-1.0, 7.0, size=(15, 1))
    cases = {}
    fixed = {**gp_cases(1.3, [0.8, 1.4], 0.05, None, 2), **gp_isotropic_cases(1.3, 0.9, 0.05, 0.7)}
    # Optimisation from the same starting points: scikit-learn's L-BFGS-B in its default bounds.
    starts = [{**gp_cases(1.0, [1.0, 1.0], 1.0, None, 2), **gp_isotropic_cases(1.0, 1.0, 1.0, 1.0)},
              {**gp_cases(0.5, [0.3, 2.0], 0.1, None, 2), **gp_isotropic_cases(0.5, 0.3, 0.1, 2.0)},
              {**gp_cases(3.0, [2.0, 0.5], 0.3, None, 2), **gp_isotropic_cases(3.0, 2.0, 0.3, 0.4)}]
    for name, (ours, theirs) in fixed.items():
        cases[name] = gp_case(x, y, x_test, ours, theirs, [s[name] for s in starts])
        cases[name]["data"] = "two"
    periodic = gp_periodic_cases(1.3, 0.9, 0.05, 1.6)
    periodic_starts = [gp_periodic_cases(1.0, 1.0, 1.0, 1.8), gp_periodic_cases(0.5, 0.5, 0.1, 1.5)]
    for name, (ours, theirs) in periodic.items():
        cases[name] = gp_case(x1, y1, x1_test, ours, theirs, [s[name] for s in periodic_starts])
        cases[name]["data"] = "one"
    save("gp.json", {"two": {"x": tolist(x), "y": tolist(y), "x_test": tolist(x_test)},
                     "one": {"x": tolist(x1), "y": tolist(y1), "x_test": tolist(x1_test)},
                     "cases": cases})


# --- Logistic regression -----------------------------------------------------------------------

def logistic(rng):
    xb = np.vstack([rng.normal([-1.0, 0.5], 1.0, size=(35, 2)), rng.normal([1.2, -0.4], 1.0, size=(35, 2))])
    yb = np.repeat([0, 1], 35)
    xm = np.vstack([rng.normal(c, 1.0, size=(30, 3)) for c in ([0, 0, 0], [2, 1, 0], [0, 2, 1.5])])
    ym = np.repeat([0, 1, 2], 30)
    xt = rng.normal(0.5, 2.0, size=(10, 3))
    cases = []
    for name, x, y in [("binary", xb, yb), ("multiclass", xm, ym)]:
        for alpha in (0.1, 1.0, 10.0):
            model = LogisticRegression(C=1.0 / alpha, solver="lbfgs", tol=1e-12, max_iter=100000).fit(x, y)
            cases.append({"data": name, "alpha": alpha, "coef": tolist(model.coef_), "intercept": tolist(model.intercept_),
                          "probabilities": tolist(model.predict_proba(xt[:, :x.shape[1]]))})
    save("logistic.json", {"binary": {"x": tolist(xb), "y": yb.tolist()}, "multiclass": {"x": tolist(xm), "y": ym.tolist()},
                           "x_test": tolist(xt), "cases": cases})


# --- Hidden Markov models ----------------------------------------------------------------------

def sample_hmm(rng, start, transition, emit, lengths):
    sequences = []
    for length in lengths:
        z = rng.choice(len(start), p=start)
        rows = []
        for _ in range(length):
            rows.append(emit(z))
            z = rng.choice(len(start), p=transition[z])
        sequences.append(np.array(rows))
    return sequences


def baum_welch_numpy(sequences, start, transition, log_emission, m_step, iterations):
    """A direct Baum-Welch (log-space forward-backward), to confirm how many EM steps
    pomegranate's max_iterations makes."""
    for _ in range(iterations):
        gammas, xi_sum, first = [], np.zeros_like(transition), np.zeros_like(start)
        for seq in sequences:
            lb = log_emission(seq)
            t_len, k = lb.shape
            la = np.zeros((t_len, k))
            la[0] = np.log(start) + lb[0]
            for t in range(1, t_len):
                la[t] = np.logaddexp.reduce(la[t - 1][:, None] + np.log(transition), axis=0) + lb[t]
            lbeta = np.zeros((t_len, k))
            for t in range(t_len - 2, -1, -1):
                lbeta[t] = np.logaddexp.reduce(np.log(transition) + lb[t + 1] + lbeta[t + 1], axis=1)
            ll = np.logaddexp.reduce(la[-1])
            gamma = np.exp(la + lbeta - ll)
            for t in range(t_len - 1):
                xi_sum += np.exp(la[t][:, None] + np.log(transition) + lb[t + 1] + lbeta[t + 1] - ll)
            gammas.append(gamma)
            first += gamma[0]
        start = first / len(sequences)
        transition = xi_sum / xi_sum.sum(1, keepdims=True)
        m_step(np.concatenate(sequences), np.concatenate(gammas))
    return start, transition


def hmm_case(rng, kind):
    import pomegranate as pg
    from pomegranate import (DiscreteDistribution, HiddenMarkovModel, IndependentComponentsDistribution,
                             MultivariateGaussianDistribution, NormalDistribution)
    from scipy.stats import multivariate_normal
    lengths = [30, 50, 20]
    if kind == "categorical":
        true_start = np.array([0.6, 0.4])
        true_transition = np.array([[0.85, 0.15], [0.2, 0.8]])
        true_emission = np.array([[0.5, 0.3, 0.15, 0.05], [0.05, 0.15, 0.3, 0.5]])
        sequences = sample_hmm(rng, true_start, true_transition, lambda z: rng.choice(4, p=true_emission[z]), lengths)
        start = np.array([0.5, 0.5])
        transition = np.array([[0.6, 0.4], [0.3, 0.7]])
        emission = np.array([[0.4, 0.3, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4]])
        state = {"emission": emission.copy()}

        def distributions(e):
            return [DiscreteDistribution({v: float(p) for v, p in enumerate(row)}) for row in e]

        def log_emission(seq):
            return np.log(state["emission"][:, seq.astype(int)].T)

        def m_step(x, gamma):
            counts = np.zeros_like(state["emission"])
            for v in range(counts.shape[1]):
                counts[:, v] = gamma[x.astype(int) == v].sum(0)
            state["emission"] = counts / counts.sum(1, keepdims=True)

        dists = distributions(emission)
        params = {"emission_probabilities": tolist(emission)}
    else:
        true_start = np.array([0.5, 0.3, 0.2])
        true_transition = np.array([[0.8, 0.1, 0.1], [0.15, 0.7, 0.15], [0.1, 0.2, 0.7]])
        true_means = np.array([[0.0, 0.0], [3.0, 1.0], [-1.0, 3.0]])
        sequences = sample_hmm(rng, true_start, true_transition, lambda z: true_means[z] + rng.normal(size=2) * [0.8, 0.6], lengths)
        start = np.array([0.4, 0.3, 0.3])
        transition = np.array([[0.6, 0.2, 0.2], [0.2, 0.6, 0.2], [0.25, 0.25, 0.5]])
        means = np.array([[0.5, 0.5], [2.0, 2.0], [-0.5, 2.0]])
        if kind == "full":
            covariances = np.array([[[1.0, 0.2], [0.2, 1.0]], [[1.5, -0.3], [-0.3, 0.8]], [[0.7, 0.0], [0.0, 1.2]]])
            dists = [MultivariateGaussianDistribution(m, c) for m, c in zip(means, covariances)]
        else:
            covariances = np.array([[1.0, 1.0], [1.5, 0.8], [0.7, 1.2]])
            dists = [IndependentComponentsDistribution([NormalDistribution(m[i], np.sqrt(c[i])) for i in range(2)])
                     for m, c in zip(means, covariances)]
        state = {"means": means.copy(), "covariances": covariances.copy()}

        def log_emission(seq):
            if kind == "full":
                return np.array([multivariate_normal(m, c).logpdf(seq) for m, c in zip(state["means"], state["covariances"])]).T
            return np.array([multivariate_normal(m, np.diag(c)).logpdf(seq) for m, c in zip(state["means"], state["covariances"])]).T

        def m_step(x, gamma):
            mass = gamma.sum(0)
            state["means"] = gamma.T @ x / mass[:, None]
            if kind == "full":
                state["covariances"] = np.array([(gamma[:, k, None] * (x - state["means"][k])).T @ (x - state["means"][k]) / mass[k]
                                                 for k in range(len(mass))])
            else:
                state["covariances"] = np.array([(gamma[:, k, None] * (x - state["means"][k]) ** 2).sum(0) / mass[k]
                                                 for k in range(len(mass))])

        params = {"means": tolist(means), "covariances": tolist(covariances)}
    k = len(start)
    names = [f"s{i}" for i in range(k)]  # one digit: pomegranate orders states by name
    model = HiddenMarkovModel.from_matrix(transition, dists, start, state_names=names)
    index = {s.name: i for i, s in enumerate(model.states) if s.name in names}
    log_likelihoods = [float(model.log_probability(seq)) for seq in sequences]
    paths, path_scores = [], []
    for seq in sequences:
        score, path = model.viterbi(seq)
        paths.append([int(names.index(s.name)) for _, s in path if s.name in names])
        path_scores.append(float(score))
    # With max_iterations = min_iterations = N pomegranate makes N + 1 EM steps (the numpy
    # Baum-Welch below confirms the count).
    iterations = 5
    fitted = model.copy()
    fitted.fit(sequences, algorithm="baum-welch", max_iterations=iterations - 1, min_iterations=iterations - 1,
               stop_threshold=-1.0, verbose=False)
    dense = fitted.dense_transition_matrix()
    order = [i for i, s in enumerate(fitted.states) if s.name in names]
    start_index = fitted.start_index
    fitted_transition = dense[np.ix_(order, order)]
    fitted_start = dense[start_index, order]
    # The same EM steps written out directly: they must agree, or the step count was misread.
    np_start, np_transition = baum_welch_numpy(sequences, start, transition, log_emission, m_step, iterations)
    assert np.allclose(np_transition, fitted_transition / fitted_transition.sum(1, keepdims=True), atol=1e-8), kind
    assert np.allclose(np_start, fitted_start, atol=1e-8), kind
    fitted_params = {}
    if kind == "categorical":
        emission_fit = np.array([[fitted.states[i].distribution.parameters[0].get(v, 0.0) for v in range(4)] for i in order])
        assert np.allclose(emission_fit, state["emission"], atol=1e-8)
        fitted_params["emission_probabilities"] = tolist(emission_fit)
    elif kind == "full":
        fitted_params["means"] = tolist([fitted.states[i].distribution.parameters[0] for i in order])
        fitted_params["covariances"] = tolist([fitted.states[i].distribution.parameters[1] for i in order])
        assert np.allclose(np.array(fitted_params["means"]), state["means"], atol=1e-8)
        assert np.allclose(np.array(fitted_params["covariances"]), state["covariances"], atol=1e-8)
    else:
        fitted_params["means"] = tolist([[c.parameters[0] for c in fitted.states[i].distribution.distributions] for i in order])
        fitted_params["covariances"] = tolist([[c.parameters[1] ** 2 for c in fitted.states[i].distribution.distributions]
                                               for i in order])
        assert np.allclose(np.array(fitted_params["means"]), state["means"], atol=1e-8)
        assert np.allclose(np.array(fitted_params["covariances"]), state["covariances"], atol=1e-8)
    fitted_log_likelihoods = [float(fitted.log_probability(seq)) for seq in sequences]
    return {
        "sequences": [tolist(s) for s in sequences], "start": tolist(start), "transition": tolist(transition), **params,
        "log_likelihoods": log_likelihoods, "viterbi_paths": paths, "viterbi_log_probabilities": path_scores,
        "iterations": iterations, "fitted_start": tolist(fitted_start),
        "fitted_transition": tolist(fitted_transition / fitted_transition.sum(1, keepdims=True)),
        "fitted": fitted_params, "fitted_log_likelihoods": fitted_log_likelihoods,
        "pomegranate_version": pg.__version__,
    }


def hmm(rng):
    save("hmm.json", {kind: hmm_case(rng, kind) for kind in ("full", "diag", "categorical")})


def main():
    rng = np.random.RandomState(20240611)
    gp(rng)
    logistic(rng)
    hmm(rng)


if __name__ == "__main__":
    main()
