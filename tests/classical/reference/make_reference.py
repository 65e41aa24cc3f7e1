#!/usr/bin/env python3
"""Regenerates the scikit-learn reference values that tests/classical/*_test.cpp compare against.

Run with Debian's scikit-learn (python3-sklearn 1.2.1 was used for the committed files):
    /usr/bin/python3 tests/classical/reference/make_reference.py
Every data set is drawn here from a fixed seed and stored beside the reference values, so the
tests need neither Python nor scikit-learn.
"""
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ARDRegression, BayesianRidge
from sklearn.mixture import GaussianMixture

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, payload):
    payload["sklearn_version"] = sklearn.__version__
    with open(os.path.join(HERE, name), "w") as out:
        json.dump(payload, out, indent=1, sort_keys=True)
        out.write("\n")


def tolist(a):
    return np.asarray(a, dtype=np.float64).tolist()


def regression_data(rng, n, p, coef, noise):
    x = rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, size=p)
    # scikit-learn's predictive std uses the raw inputs where the posterior belongs to the
    # centred ones; centring the training inputs exactly makes the two definitions agree.
    x -= x.mean(axis=0)
    y = x @ coef + 1.5 + noise * rng.normal(size=n)
    return x, y


def bayesian_ridge(rng):
    coef = np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    x, y = regression_data(rng, 60, 5, coef, 0.7)
    x_test = rng.normal(size=(10, 5))
    model = BayesianRidge().fit(x, y)
    mean, std = model.predict(x_test, return_std=True)
    save("bayesian_ridge.json", {
        "x": tolist(x), "y": tolist(y), "x_test": tolist(x_test),
        "coef": tolist(model.coef_), "intercept": float(model.intercept_),
        "alpha": float(model.alpha_), "lambda": float(model.lambda_),
        "sigma": tolist(model.sigma_), "n_iter": int(model.n_iter_),
        "predict_mean": tolist(mean), "predict_std": tolist(std),
    })


def ard(rng):
    coef = np.array([2.0, 0.0, 0.0, -1.5, 0.0, 0.0, 0.8, 0.0])
    x, y = regression_data(rng, 80, 8, coef, 0.5)
    x_test = rng.normal(size=(10, 8))
    model = ARDRegression().fit(x, y)
    mean, std = model.predict(x_test, return_std=True)
    save("ard.json", {
        "x": tolist(x), "y": tolist(y), "x_test": tolist(x_test),
        "coef": tolist(model.coef_), "intercept": float(model.intercept_),
        "alpha": float(model.alpha_), "lambda": tolist(model.lambda_),
        "kept": [int(i) for i in np.flatnonzero(model.lambda_ < model.threshold_lambda)],
        "predict_mean": tolist(mean), "predict_std": tolist(std),
    })


def blobs(rng, n_per, centres, scale):
    return np.vstack([c + scale * rng.normal(size=(n_per, len(c))) for c in centres])


def kmeans(rng):
    x = blobs(rng, 100, [np.array([0.0, 0.0]), np.array([5.0, 5.0]), np.array([0.0, 6.0])], 1.0)
    init = x[[0, 1, 2]]  # three points of the first blob: Lloyd has work to do
    fixed = KMeans(n_clusters=3, init=init, n_init=1, max_iter=300).fit(x)
    best = KMeans(n_clusters=3, n_init=10, random_state=0).fit(x)
    save("kmeans.json", {
        "x": tolist(x), "init": tolist(init),
        "fixed_inertia": float(fixed.inertia_), "fixed_centres": tolist(fixed.cluster_centers_),
        "fixed_n_iter": int(fixed.n_iter_),
        "best_inertia": float(best.inertia_),
    })


def gmm(rng):
    x = blobs(rng, 80, [np.array([0.0, 0.0, 0.0]), np.array([4.0, 4.0, 0.0]), np.array([0.0, 5.0, 3.0])], 1.0)
    x_test = blobs(rng, 10, [np.array([0.0, 0.0, 0.0]), np.array([4.0, 4.0, 0.0]), np.array([0.0, 5.0, 3.0])], 1.0)
    # A deliberately poor start, so that five EM steps change the parameters a lot.
    weights = np.array([0.5, 0.3, 0.2])
    means = np.array([[1.0, 1.0, 1.0], [3.0, 3.0, 0.0], [0.0, 3.0, 2.0]])
    a = rng.normal(size=(3, 3, 3)) * 0.3
    full = np.array([np.eye(3) * 2.0 + m @ m.T for m in a])
    diag = np.array([[1.5, 2.0, 1.0], [1.0, 1.0, 3.0], [2.0, 0.5, 1.0]])
    spherical = np.array([1.5, 2.0, 0.7])
    cases = {}
    for kind, cov, precision in [("full", full, np.linalg.inv(full)), ("diag", diag, 1.0 / diag),
                                 ("spherical", spherical, 1.0 / spherical)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            # tol=0: exactly max_iter EM steps, which the C++ side repeats from the same start.
            model = GaussianMixture(n_components=3, covariance_type=kind, weights_init=weights, means_init=means,
                                    precisions_init=precision, max_iter=5, tol=0.0, reg_covar=1e-6).fit(x)
        cases[kind] = {
            "covariances": tolist(cov),
            "score_train": float(model.score(x)), "score_test": float(model.score(x_test)),
            "bic": float(model.bic(x)), "aic": float(model.aic(x)),
            "weights": tolist(model.weights_), "means": tolist(model.means_),
            "final_covariances": tolist(model.covariances_),
        }
    save("gmm.json", {"x": tolist(x), "x_test": tolist(x_test), "weights": tolist(weights), "means": tolist(means),
                      "max_iter": 5, "cases": cases})


def pca(rng):
    basis = np.linalg.qr(rng.normal(size=(5, 5)))[0]
    scales = np.array([3.0, 2.0, 0.8, 0.6, 0.5])
    x = (rng.normal(size=(120, 5)) * scales) @ basis.T + np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    x_test = (rng.normal(size=(15, 5)) * scales) @ basis.T + np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    model = PCA(n_components=2).fit(x)
    components = model.components_.copy()
    # Canonical signs (largest entry positive) to compare directions defined up to sign.
    for row in components:
        if row[np.argmax(np.abs(row))] < 0:
            row *= -1
    save("pca.json", {
        "x": tolist(x), "x_test": tolist(x_test),
        "explained_variance": tolist(model.explained_variance_), "components": tolist(components),
        "noise_variance": float(model.noise_variance_), "mean": tolist(model.mean_),
        "score_train": float(model.score(x)), "score_test": float(model.score(x_test)),
    })


def sine(rng):
    # Bishop figure 3.14: ten points of sin(2 pi x) with Gaussian noise of standard deviation 0.3.
    x = np.linspace(0.0, 1.0, 10)
    t = np.sin(2 * np.pi * x) + 0.3 * rng.normal(size=10)
    save("sine.json", {"x": tolist(x), "t": tolist(t)})


def main():
    rng = np.random.RandomState(20240605)
    bayesian_ridge(rng)
    ard(rng)
    kmeans(rng)
    gmm(rng)
    pca(rng)
    sine(rng)


if __name__ == "__main__":
    main()
