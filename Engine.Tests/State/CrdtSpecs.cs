using CsCheck;
using Engine.State.Clock;
using Engine.State.Crdt;

namespace Engine.Tests.State;

/// <summary>One randomly generated step of a replicated script.</summary>
/// <param name="Replica">Which replica acts.</param>
/// <param name="Kind">0–7 a mutation the spec interprets, 8 take-and-ship a delta, 9 sync from another replica.</param>
/// <param name="Key">A small key, so replicas collide on keys and elements.</param>
/// <param name="Value">A value, amount or peer selector.</param>
/// <param name="AdvanceMs">How far physical time moves first (0 keeps writes in one millisecond).</param>
public readonly record struct ScriptStep(int Replica, int Kind, int Key, int Value, int AdvanceMs)
{
    public static Gen<ScriptStep> For(int replicas) =>
        Gen.Select(Gen.Int[0, replicas - 1], Gen.Int[0, 9], Gen.Int[0, 5], Gen.Int[0, 1_000], Gen.Int[0, 2])
            .Select((r, k, key, v, a) => new ScriptStep(r, k, key, v, a));
}

/// <summary>A replica: its CRDT, its node id and its clock.</summary>
public sealed class Replica<T>(T state, uint nodeId, HybridLogicalClock clock)
    where T : class, IDeltaCrdt<T>
{
    public T State { get; } = state;

    public uint NodeId { get; } = nodeId;

    public HybridLogicalClock Clock { get; } = clock;
}

/// <summary>How tests create and mutate one CRDT type.</summary>
public abstract class CrdtSpec<T>
    where T : class, IDeltaCrdt<T>, IEquatable<T>
{
    public abstract string Name { get; }

    public abstract T Create();

    public abstract void Mutate(Replica<T> replica, ScriptStep op);

    public override string ToString() => Name;
}

public sealed class GCounterSpec : CrdtSpec<GCounter>
{
    public override string Name => "GCounter";

    public override GCounter Create() => new();

    public override void Mutate(Replica<GCounter> replica, ScriptStep op) =>
        replica.State.Increment(replica.NodeId, (ulong)(1 + (op.Value % 5)));
}

public sealed class PNCounterSpec : CrdtSpec<PNCounter>
{
    public override string Name => "PNCounter";

    public override PNCounter Create() => new();

    public override void Mutate(Replica<PNCounter> replica, ScriptStep op)
    {
        if (op.Kind % 2 == 0)
        {
            replica.State.Increment(replica.NodeId, (ulong)(1 + (op.Value % 5)));
        }
        else
        {
            replica.State.Decrement(replica.NodeId, (ulong)(1 + (op.Value % 5)));
        }
    }
}

public sealed class LwwRegisterSpec : CrdtSpec<LwwRegister<int>>
{
    public override string Name => "LwwRegister";

    public override LwwRegister<int> Create() => new();

    public override void Mutate(Replica<LwwRegister<int>> replica, ScriptStep op) =>
        replica.State.Set(op.Value, replica.Clock);
}

public sealed class LwwMapSpec : CrdtSpec<LwwMap<int, int>>
{
    public override string Name => "LwwMap";

    public override LwwMap<int, int> Create() => new();

    public override void Mutate(Replica<LwwMap<int, int>> replica, ScriptStep op)
    {
        if (op.Kind < 5)
        {
            replica.State.Set(op.Key, op.Value, replica.Clock);
        }
        else
        {
            replica.State.Remove(op.Key, replica.Clock);
        }
    }
}

public sealed class OrSetSpec : CrdtSpec<OrSet<int>>
{
    public override string Name => "OrSet";

    public override OrSet<int> Create() => new();

    public override void Mutate(Replica<OrSet<int>> replica, ScriptStep op)
    {
        if (op.Kind < 5)
        {
            replica.State.Add(op.Key, replica.NodeId);
        }
        else
        {
            replica.State.Remove(op.Key);
        }
    }
}

/// <summary>Runs scripts of steps over a set of replicas sharing one manual clock.</summary>
public static class Script
{
    public static Replica<T>[] Replicas<T>(CrdtSpec<T> spec, int count, ManualTimeProvider time)
        where T : class, IDeltaCrdt<T>, IEquatable<T> =>
        Enumerable.Range(1, count)
            .Select(i => new Replica<T>(spec.Create(), (uint)(i * 10), new HybridLogicalClock((uint)(i * 10), time)))
            .ToArray();

    /// <summary>
    /// Applies mutations and syncs. Deltas taken on kind 8 go to <paramref name="shipped"/>; a copy
    /// of each state a replica merged in goes to <paramref name="mergedIn"/>.
    /// </summary>
    public static void Run<T>(CrdtSpec<T> spec, Replica<T>[] replicas, ManualTimeProvider time, IEnumerable<ScriptStep> steps, List<(int From, T Delta)>? shipped = null, List<(int Into, T State)>? mergedIn = null)
        where T : class, IDeltaCrdt<T>, IEquatable<T>
    {
        foreach (ScriptStep step in steps)
        {
            time.Advance(TimeSpan.FromMilliseconds(step.AdvanceMs));
            Replica<T> actor = replicas[step.Replica];
            switch (step.Kind)
            {
                case 8:
                    if (actor.State.TryTakeDelta(out T? delta))
                    {
                        shipped?.Add((step.Replica, delta));
                    }

                    break;
                case 9:
                    T source = replicas[step.Value % replicas.Length].State;
                    mergedIn?.Add((step.Replica, source.Clone()));
                    actor.State.Merge(source);
                    break;
                default:
                    spec.Mutate(actor, step);
                    break;
            }
        }
    }

    public static T Merged<T>(params T[] states)
        where T : class, IDeltaCrdt<T>
    {
        T result = states[0].Clone();
        foreach (T state in states.Skip(1))
        {
            result.Merge(state);
        }

        return result;
    }
}
