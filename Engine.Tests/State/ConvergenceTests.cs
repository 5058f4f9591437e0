using Engine.State.Crdt;

namespace Engine.Tests.State;

/// <summary>
/// Replicas mutate concurrently and ship their deltas to every peer over a simulated channel that
/// drops, duplicates and reorders. A dropped message is resent later (the sender keeps it until
/// delivered), so once the channel drains everything has been delivered at least once, and every
/// replica must be equal. Seeded: a failing seed reproduces the run exactly.
/// </summary>
public class ConvergenceTests
{
    private const double DropRate = 0.2, DuplicateRate = 0.1;

    public static TheoryData<string, int, int> Runs()
    {
        var data = new TheoryData<string, int, int>();
        string[] types = ["GCounter", "PNCounter", "LwwRegister", "LwwMap", "OrSet"];
        int seed = 1;
        foreach (string type in types)
        {
            for (int replicas = 3; replicas <= 5; replicas++)
            {
                data.Add(type, replicas, seed++);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void DeltaExchange_LossyDuplicatingReorderingChannel_AllReplicasConverge(string type, int replicas, int seed)
    {
        switch (type)
        {
            case "GCounter":
                GCounter counter = Converge(new GCounterSpec(), replicas, seed, out long increments);
                Assert.Equal((ulong)increments, counter.Value);
                break;
            case "PNCounter":
                Converge(new PNCounterSpec(), replicas, seed, out _);
                break;
            case "LwwRegister":
                Converge(new LwwRegisterSpec(), replicas, seed, out _);
                break;
            case "LwwMap":
                Converge(new LwwMapSpec(), replicas, seed, out _);
                break;
            case "OrSet":
                Converge(new OrSetSpec(), replicas, seed, out _);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }

    private static T Converge<T>(CrdtSpec<T> spec, int count, int seed, out long gcounterTotal)
        where T : class, IDeltaCrdt<T>, IEquatable<T>
    {
        var random = new Random(seed);
        var time = new ManualTimeProvider();
        Replica<T>[] replicas = Script.Replicas(spec, count, time);
        var inFlight = new List<(int To, T Delta)>();
        long delivered = 0, dropped = 0, duplicated = 0;
        gcounterTotal = 0;

        void Deliver()
        {
            int index = random.Next(inFlight.Count); // any in-flight message: reordering
            (int to, T delta) = inFlight[index];
            if (random.NextDouble() < DropRate)
            {
                dropped++; // lost on the wire; stays queued, so the sender's retry sends it again later
                return;
            }

            inFlight.RemoveAt(index);
            replicas[to].State.Merge(delta);
            delivered++;
            if (random.NextDouble() < DuplicateRate)
            {
                duplicated++;
                inFlight.Add((to, delta));
            }
        }

        for (int op = 0; op < 400; op++)
        {
            time.Advance(TimeSpan.FromMilliseconds(random.Next(0, 3)));
            int actor = random.Next(count);
            var step = new ScriptStep(actor, random.Next(0, 8), random.Next(0, 6), random.Next(0, 1_000), 0);
            spec.Mutate(replicas[actor], step);
            if (typeof(T) == typeof(GCounter))
            {
                gcounterTotal += 1 + (step.Value % 5);
            }

            // Deltas are shipped every few operations (a delta group), to every other replica.
            if (random.Next(4) == 0 && replicas[actor].State.TryTakeDelta(out T? delta))
            {
                for (int to = 0; to < count; to++)
                {
                    if (to != actor)
                    {
                        inFlight.Add((to, delta));
                    }
                }
            }

            for (int i = random.Next(3); i > 0 && inFlight.Count > 0; i--)
            {
                Deliver();
            }
        }

        for (int from = 0; from < count; from++)
        {
            if (replicas[from].State.TryTakeDelta(out T? rest))
            {
                for (int to = 0; to < count; to++)
                {
                    if (to != from)
                    {
                        inFlight.Add((to, rest));
                    }
                }
            }
        }

        int guard = 1_000_000;
        while (inFlight.Count > 0 && guard-- > 0)
        {
            Deliver();
        }

        Assert.Empty(inFlight);
        Assert.True(dropped > 0 && duplicated > 0, $"the channel must have dropped and duplicated (dropped {dropped}, duplicated {duplicated})");
        for (int i = 1; i < count; i++)
        {
            Assert.True(replicas[0].State.Equals(replicas[i].State), $"replica {i} differs from replica 0 after {delivered} deliveries (seed {seed}): {replicas[0].State} vs {replicas[i].State}");
        }

        return replicas[0].State;
    }
}
