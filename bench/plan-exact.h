/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The exact placement optimum by branch and bound, for the benchmark and the
 * tests only (small instances: up to 12 VMs on up to 8 nodes).  Every VM is
 * tried unplaced and on every node set up to the span limit, under the same
 * split and fit rules as the planner (place_try); the objective is the same
 * lexicographic one: most VMs placed, then fewest spanning, then least
 * distance.
 */
#ifndef KVMTUNE_BENCH_PLAN_EXACT_H
#define KVMTUNE_BENCH_PLAN_EXACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "place/solve.h"

/*
 * The optimum objective for reqs on h (state: h's own).  incumbent (may be
 * NULL) is a known feasible objective that seeds the bound.  Returns false
 * when max_visits search nodes were not enough (then ret is the best found).
 */
bool exact_solve(const struct place_host *h, const struct place_req *reqs, size_t n,
		 const struct place_opts *o, const struct place_objective *incumbent,
		 uint64_t max_visits, struct place_objective *ret);
/* The same, and (when it finds a better one than incumbent) the choices into ret_choices (n). */
bool exact_solve_choices(const struct place_host *h, const struct place_req *reqs, size_t n,
			 const struct place_opts *o, const struct place_objective *incumbent,
			 uint64_t max_visits, struct place_objective *ret,
			 struct place_choice *ret_choices);

#endif
