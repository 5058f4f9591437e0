using CsCheck;
using Engine.State.Crdt;

namespace Engine.Tests.State;

/// <summary>
/// The join-semilattice laws for every CRDT, over states built by random scripts of mutations
/// and partial syncs on three replicas (so states overlap, conflict and share history).
/// </summary>
public class CrdtLawTests
{
    private static readonly Gen<ScriptStep[]> Scripts = ScriptStep.For(3).Array[0, 60];

    public static TheoryData<string> Types => new("GCounter", "PNCounter", "LwwRegister", "LwwMap", "OrSet");

    [Theory]
    [MemberData(nameof(Types))]
    public void Merge_AnyStates_IsCommutativeAssociativeAndIdempotent(string type)
    {
        switch (type)
        {
            case "GCounter": CheckLaws(new GCounterSpec()); break;
            case "PNCounter": CheckLaws(new PNCounterSpec()); break;
            case "LwwRegister": CheckLaws(new LwwRegisterSpec()); break;
            case "LwwMap": CheckLaws(new LwwMapSpec()); break;
            case "OrSet": CheckLaws(new OrSetSpec()); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void MergeDeltas_AllDeltasInAnyOrder_EqualsMergingFullState(string type)
    {
        switch (type)
        {
            case "GCounter": CheckDeltas(new GCounterSpec()); break;
            case "PNCounter": CheckDeltas(new PNCounterSpec()); break;
            case "LwwRegister": CheckDeltas(new LwwRegisterSpec()); break;
            case "LwwMap": CheckDeltas(new LwwMapSpec()); break;
            case "OrSet": CheckDeltas(new OrSetSpec()); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }

    private static void CheckLaws<T>(CrdtSpec<T> spec)
        where T : class, IDeltaCrdt<T>, IEquatable<T>
    {
        Scripts.Sample(steps =>
        {
            var time = new ManualTimeProvider();
            Replica<T>[] replicas = Script.Replicas(spec, 3, time);
            Script.Run(spec, replicas, time, steps);
            T a = replicas[0].State, b = replicas[1].State, c = replicas[2].State;

            bool commutative = Script.Merged(a, b).Equals(Script.Merged(b, a));
            T left = Script.Merged(Script.Merged(a, b), c);
            T right = Script.Merged(a, Script.Merged(b, c));
            bool associative = left.Equals(right);
            bool idempotent = Script.Merged(a, a).Equals(a) && Script.Merged(left, b).Equals(left);
            return commutative && associative && idempotent;
        }, iter: 300, seed: "0wY1tAaWe0n3");
    }

    // Replica 0 is everything it mutated (its deltas, taken at random points plus a final take)
    // joined with every state it merged in. An observer that joins those pieces shuffled and with
    // duplicates must equal an observer that joined replica 0 whole.
    private static void CheckDeltas<T>(CrdtSpec<T> spec)
        where T : class, IDeltaCrdt<T>, IEquatable<T>
    {
        Gen.Select(Scripts, Gen.Int.Array[0, 100], Gen.Int[0, 3]).Sample((steps, shuffle, duplicates) =>
        {
            var time = new ManualTimeProvider();
            Replica<T>[] replicas = Script.Replicas(spec, 3, time);
            var shipped = new List<(int From, T Delta)>();
            var mergedIn = new List<(int Into, T State)>();
            Script.Run(spec, replicas, time, steps, shipped, mergedIn);
            if (replicas[0].State.TryTakeDelta(out T? last))
            {
                shipped.Add((0, last));
            }

            List<T> deltas = shipped.Where(d => d.From == 0).Select(d => d.Delta)
                .Concat(mergedIn.Where(m => m.Into == 0).Select(m => m.State))
                .ToList();
            for (int i = 0; i < duplicates && deltas.Count > 0; i++)
            {
                deltas.Add(deltas[i % deltas.Count]);
            }

            for (int i = 0; i < shuffle.Length && deltas.Count > 1; i++)
            {
                int j = (int)((uint)shuffle[i] % deltas.Count);
                (deltas[i % deltas.Count], deltas[j]) = (deltas[j], deltas[i % deltas.Count]);
            }

            T viaDeltas = replicas[1].State.Clone();
            foreach (T delta in deltas)
            {
                viaDeltas.Merge(delta);
            }

            T viaState = Script.Merged(replicas[1].State, replicas[0].State);
            return viaDeltas.Equals(viaState);
        }, iter: 300, seed: "3bJ0mQfA1Zk2");
    }
}
