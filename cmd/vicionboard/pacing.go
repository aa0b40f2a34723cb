package main

import (
	"github.com/rs/zerolog"
	"github.com/spf13/pflag"
	"golang.org/x/time/rate"

	"github.com/vicionboard/vicionboard/vicidial/pacing"
)

// The fixed pacing of --no-adapt, when --workers and --rate are not given:
// the defaults before adaptive pacing.
const (
	fixedWorkers = 4
	fixedRate    = 10
)

// registerPacing adds --workers, --rate and --no-adapt.
func (o *serverOptions) registerPacing(f *pflag.FlagSet) {
	f.IntVar(&o.workers, "workers", pacing.DefaultMax,
		"most calls in flight at once: the ceiling of the adaptive limit (with --no-adapt: exactly this many, default 4)")
	f.Float64Var(&o.rate, "rate", 0,
		"hard cap of requests per second, all workers and retries together (0 = none; with --no-adapt the default is 10)")
	f.BoolVar(&o.noAdapt, "no-adapt", false,
		"fixed pacing, as before adaptive pacing: --workers calls at once (default 4) and --rate (default 10)")
}

// resolvePacing gives --no-adapt its own defaults of --workers and --rate,
// when they are not set (on the command line or by a profile).
func (o *serverOptions) resolvePacing(f *pflag.FlagSet) {
	if !o.noAdapt {
		return
	}
	if !f.Changed("workers") {
		o.workers = fixedWorkers
	}
	if !f.Changed("rate") {
		o.rate = fixedRate
	}
}

// pacing returns the rate limiter (nil: no cap) and the concurrency limit
// (nil with --no-adapt: the workers alone bound it) that pace every HTTP
// attempt.
func (o *serverOptions) pacing(log zerolog.Logger) (*rate.Limiter, pacing.Limiter, error) {
	if o.workers < 1 {
		return nil, nil, usagef("--workers must be at least 1")
	}
	if o.rate < 0 {
		return nil, nil, usagef("--rate must be 0 (unlimited) or more")
	}
	var limiter *rate.Limiter
	if o.rate > 0 {
		limiter = rate.NewLimiter(rate.Limit(o.rate), 1)
	}
	if o.noAdapt {
		return limiter, nil, nil
	}
	return limiter, pacing.NewAdaptive(pacing.Config{Max: o.workers, Logger: log}), nil
}
