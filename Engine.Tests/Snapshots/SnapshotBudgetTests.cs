using CsCheck;
using Engine.Snapshots;

namespace Engine.Tests.Snapshots;

/// <summary>
/// Under a budget too small for every change and with an interest hook: the client still holds
/// exactly what the encoder believes it sent, irrelevant entities never reach it (and leave it when
/// they become irrelevant), and the priority accumulator bounds how long a change can wait.
/// </summary>
/// <remarks>
/// The bound, for a budget that always fits the header, every pending removal and the largest
/// single record (so the top-ranked change is always sent), with N entities and interest priorities
/// in [p, R·p]. An entity e stale (its change unsent) from tick t0 has accumulated at least
/// (t − t0 + 1)·p at tick t; the entity f sent first at t ranks at least as high, and since f's
/// accumulator only grows by at most R·p per tick of its own staleness, f has been stale (so unsent)
/// for at least (t − t0 + 1)/R ticks before t.
/// Equal priorities (R = 1): every f sent while e waits was stale since before t0, so each of the
/// other N − 1 entities is sent at most once before e: e stays stale at most N − 1 consecutive ticks.
/// Any R: in the second half of a wait of W ticks each f is sent at most R + 1 times (its sends are
/// at least W/(2R) apart), and one entity is sent per tick, so W/2 ≤ (N − 1)(R + 1): e stays stale
/// at most 2(N − 1)(R + 1) ticks.
/// </remarks>
public class SnapshotBudgetTests
{
    [Fact]
    public void Encode_SmallBudgetWithInterest_ClientMatchesViewIrrelevantNeverSentAndChangesWaitBoundedTicks()
    {
        int deferred = 0;
        Gen.Select(Gen.Int[5, 40], Gen.Bool, Gen.Double[0, 0.3], Gen.Int).Sample((entities, uniform, loss, seed) =>
        {
            var random = new Random(seed);
            const int maxBody = 32;
            var world = new RandomWorld(random, entities, maxBody, maxId: 127); // one-byte ids: a removal is two bytes
            var interest = new TogglingInterest(random, world.Entities.Keys, uniform ? 1 : 4);
            // Header (count < 128: 9 bytes) + every removal + the largest full record (kind, id, length, body).
            var budget = new SnapshotBudget(9 + (2 * entities) + (3 + maxBody));
            int bound = uniform ? entities - 1 : 2 * (entities - 1) * (4 + 1);
            var encoder = new SnapshotEncoder();
            var decoder = new SnapshotDecoder();
            var snapshots = new LossyLink<byte[]>(random, loss);
            var acks = new LossyLink<uint>(random, loss, maxDelay: 5);
            var staleSince = new Dictionary<uint, int>();
            for (int tick = 1; tick <= 150; tick++)
            {
                world.Step(changeRate: 0.6, churnRate: 0);
                interest.Step();
                EntityFrame frame = world.Build();
                foreach (uint ack in acks.Receive(tick))
                {
                    encoder.Acknowledge(ack);
                }

                byte[] payload = SnapshotAssert.Encode(encoder, frame, (uint)tick, budget, interest, out SnapshotEncodeResult result);
                Assert.True(payload.Length <= budget.MaxBytes);
                deferred += result.RecordsDeferred;
                Assert.True(encoder.TryGetClientView((uint)tick, out EntityFrame? view));
                for (int i = 0; i < view.Count; i++)
                {
                    Assert.True(interest.IsRelevant(view.GetId(i)), $"tick {tick}: irrelevant entity {view.GetId(i)} is on the client");
                }

                for (int i = 0; i < frame.Count; i++)
                {
                    uint id = frame.GetId(i);
                    bool stale = interest.IsRelevant(id) && !(view.TryGetBody(id, out ReadOnlySpan<byte> sent) && sent.SequenceEqual(frame.GetBody(i)));
                    if (!stale)
                    {
                        staleSince.Remove(id);
                        continue;
                    }

                    staleSince.TryAdd(id, tick);
                    Assert.True(tick - staleSince[id] + 1 <= bound, $"entity {id} stale since tick {staleSince[id]}, now {tick} (bound {bound} ticks, {entities} entities)");
                }

                snapshots.Send(tick, payload);
                foreach (byte[] received in snapshots.Receive(tick))
                {
                    if (decoder.TryApply(received, out uint appliedTick))
                    {
                        Assert.True(encoder.TryGetClientView(appliedTick, out EntityFrame? sentView));
                        SnapshotAssert.Equal(sentView, decoder.Current, $"tick {appliedTick}");
                        acks.Send(tick, appliedTick);
                    }
                }
            }
        }, iter: 60, seed: "0aPNCRRlAdF1");
        Assert.True(deferred > 1000, $"only {deferred} records deferred: the budget must bind");
    }

    [Fact]
    public void Encode_EntityBecomesIrrelevant_IsRemovedFromTheClientAndNeverSentAgain()
    {
        var world = new EntityFrameWriter();
        world.Add(1, [1, 2, 3]);
        world.Add(2, [4, 5, 6]);
        EntityFrame frame = world.Complete();
        var interest = new TogglingInterest(new Random(1), [1, 2], 1);
        var encoder = new SnapshotEncoder();
        var decoder = new SnapshotDecoder();
        Assert.True(decoder.TryApply(SnapshotAssert.Encode(encoder, frame, 1, SnapshotBudget.Unlimited, interest, out _), out _));
        encoder.Acknowledge(1);
        Assert.Equal(2, decoder.Current.Count);

        interest.Set(2, relevant: false);
        byte[] payload = SnapshotAssert.Encode(encoder, frame, 2, SnapshotBudget.Unlimited, interest, out SnapshotEncodeResult result);
        Assert.Equal(1, result.RecordsSent);
        Assert.Equal([2, 0, 0, 0, 1, 0, 0, 0, 1, 2, 2], payload); // tick 2, baseline 1, one record: removed, id 2
        Assert.True(decoder.TryApply(payload, out _));
        Assert.False(decoder.Current.TryGetBody(2, out _));
        encoder.Acknowledge(2);

        payload = SnapshotAssert.Encode(encoder, frame, 3, SnapshotBudget.Unlimited, interest, out result);
        Assert.Equal(0, result.RecordsSent);
    }

    [Fact]
    public void Encode_BudgetFitsOneRecord_HigherAccumulatedPriorityGoesFirst()
    {
        var writer = new EntityFrameWriter();
        writer.Add(1, [1]);
        writer.Add(2, [2]);
        EntityFrame frame = writer.Complete();
        var interest = new TogglingInterest(new Random(1), [1, 2], 1);
        interest.SetPriority(2, 3);
        var encoder = new SnapshotEncoder();
        var budget = new SnapshotBudget(9 + 4); // header + one 4-byte creation
        var sent = new List<uint>();
        for (uint tick = 1; tick <= 3; tick++)
        {
            SnapshotAssert.Encode(encoder, frame, tick, budget, interest, out SnapshotEncodeResult result);
            Assert.Equal(1, result.RecordsSent);
            encoder.TryGetClientView(tick, out EntityFrame? view);
            sent.Add(view!.Count == 1 ? view.GetId(0) : 0);
        }

        // Nothing is acked, so every tick offers both. Entity 1 accumulates 1, 2, 3 while unsent; entity 2 offers 3
        // each tick (reset after each send): 2 wins ticks 1 and 2, and at tick 3 the tie goes to the lower id.
        Assert.Equal([2u, 2u, 1u], sent);
    }

    /// <summary>Entities toggle relevance at random; each has a fixed priority in [1, maxPriority].</summary>
    private sealed class TogglingInterest : IInterest
    {
        private readonly Random _random;
        private readonly Dictionary<uint, (bool Relevant, float Priority)> _entities = [];

        public TogglingInterest(Random random, IEnumerable<uint> ids, int maxPriority)
        {
            _random = random;
            foreach (uint id in ids)
            {
                _entities[id] = (random.NextDouble() < 0.8, 1 + (float)(random.NextDouble() * (maxPriority - 1)));
            }
        }

        public bool IsRelevant(uint id) => _entities.TryGetValue(id, out var e) && e.Relevant;

        public void Set(uint id, bool relevant) => _entities[id] = (relevant, _entities[id].Priority);

        public void SetPriority(uint id, float priority) => _entities[id] = (_entities[id].Relevant, priority);

        public void Step()
        {
            foreach (uint id in _entities.Keys.ToArray())
            {
                if (_random.NextDouble() < 0.03)
                {
                    Set(id, !_entities[id].Relevant);
                }
            }
        }

        public bool TryGetPriority(uint entityId, out float priority)
        {
            bool found = _entities.TryGetValue(entityId, out var e);
            priority = e.Priority;
            return found && e.Relevant;
        }
    }
}
