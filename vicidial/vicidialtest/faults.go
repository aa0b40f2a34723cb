package vicidialtest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Fault is a failure the simulator can inject into a writing call
// (add_user, copy_user, update_user).
type Fault string

// The faults.
const (
	FaultNone        Fault = ""
	FaultResetBefore Fault = "reset-before" // the connection drops; nothing done
	FaultResetAfter  Fault = "reset-after"  // the call is done, then the connection drops
	Fault500Empty    Fault = "500-empty"    // HTTP 500 with an empty body; nothing done
	Fault500Success  Fault = "500-success"  // the call is done; HTTP 500 with its answer line
	FaultHangAfter   Fault = "hang-after"   // the call is done; no answer until the client gives up
	Fault502         Fault = "502"          // a gateway's 502; nothing done
)

// AllFaults lists every fault kind.
var AllFaults = []Fault{FaultResetBefore, FaultResetAfter, Fault500Empty, Fault500Success, FaultHangAfter, Fault502}

// Faults gives each fault a probability per writing call.
type Faults map[Fault]float64

// ParseFaults reads "kind=p,kind=p", e.g. "reset-after=0.1,500-empty=0.05".
func ParseFaults(spec string) (Faults, error) {
	f := Faults{}
	total := 0.0
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("fault %q: want kind=probability", part)
		}
		kind := Fault(strings.TrimSpace(k))
		known := false
		for _, a := range AllFaults {
			known = known || a == kind
		}
		if !known {
			names := make([]string, len(AllFaults))
			for i, a := range AllFaults {
				names[i] = string(a)
			}
			sort.Strings(names)
			return nil, fmt.Errorf("fault %q: unknown kind (kinds: %s)", kind, strings.Join(names, ", "))
		}
		p, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || p < 0 || p > 1 {
			return nil, fmt.Errorf("fault %q: probability %q must be a number from 0 to 1", kind, v)
		}
		f[kind] = p
		total += p
	}
	if total > 1 {
		return nil, fmt.Errorf("faults: probabilities add up to %g, more than 1", total)
	}
	return f, nil
}

// draw picks a fault for one call, given a uniform number u in [0,1).
func (f Faults) draw(u float64) Fault {
	acc := 0.0
	for _, k := range AllFaults {
		acc += f[k]
		if u < acc {
			return k
		}
	}
	return FaultNone
}
