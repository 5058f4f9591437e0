using System.Buffers;
using Engine.Snapshots;

namespace Engine.Tests.Snapshots;

/// <summary>
/// A server world of entities that evolves tick by tick (create, change, resize, remove), built
/// into an <see cref="EntityFrame"/> each tick in shuffled order so the writer's sort is exercised.
/// </summary>
internal sealed class RandomWorld
{
    private readonly Random _random;
    private readonly SortedDictionary<uint, byte[]> _entities = [];
    private readonly EntityFrameWriter _writer = new();
    private readonly int _targetCount;
    private readonly int _maxBody;
    private readonly uint _maxId;

    public RandomWorld(Random random, int targetCount, int maxBody = 64, uint maxId = 100_000)
    {
        _random = random;
        _targetCount = targetCount;
        _maxBody = maxBody;
        _maxId = Math.Max(maxId, (uint)targetCount * 2);
        while (_entities.Count < targetCount)
        {
            Create();
        }
    }

    public IReadOnlyDictionary<uint, byte[]> Entities => _entities;

    /// <summary>Each entity changes with <paramref name="changeRate"/> (a few bytes, or rarely a new length), some are removed and created.</summary>
    public void Step(double changeRate, double churnRate)
    {
        foreach (uint id in _entities.Keys.ToArray())
        {
            double roll = _random.NextDouble();
            if (roll < churnRate)
            {
                _entities.Remove(id);
            }
            else if (roll < churnRate + changeRate)
            {
                byte[] body = _entities[id];
                if (_random.NextDouble() < 0.05)
                {
                    _entities[id] = RandomBody();
                }
                else
                {
                    for (int n = _random.Next(1, 4); n > 0; n--)
                    {
                        body[_random.Next(body.Length)] = (byte)_random.Next(256);
                    }
                }
            }
        }

        while (_entities.Count < _targetCount && _random.NextDouble() < 0.9)
        {
            Create();
        }
    }

    public EntityFrame Build()
    {
        _writer.Reset();
        foreach ((uint id, byte[] body) in _entities.OrderBy(_ => _random.Next()))
        {
            _writer.Add(id, body);
        }

        return _writer.Complete();
    }

    /// <summary>A deep copy of the world as a frame of its own (kept per tick for comparison).</summary>
    public static EntityFrame Copy(EntityFrame frame)
    {
        var writer = new EntityFrameWriter();
        for (int i = 0; i < frame.Count; i++)
        {
            writer.Add(frame.GetId(i), frame.GetBody(i));
        }

        return writer.Complete();
    }

    private void Create()
    {
        uint id;
        do
        {
            id = (uint)_random.NextInt64(1, _maxId + 1);
        }
        while (_entities.ContainsKey(id));
        _entities[id] = RandomBody();
    }

    private byte[] RandomBody()
    {
        byte[] body = new byte[_random.Next(1, _maxBody + 1)];
        _random.NextBytes(body);
        return body;
    }
}

/// <summary>An unreliable link: each message is lost, duplicated or delayed (so reordered) at random.</summary>
internal sealed class LossyLink<T>(Random random, double loss, double duplication = 0.1, int maxDelay = 3)
{
    private readonly List<(int DueTick, T Message)> _inFlight = [];

    public void Send(int tick, T message)
    {
        int copies = random.NextDouble() < duplication ? 2 : 1;
        for (int i = 0; i < copies; i++)
        {
            if (random.NextDouble() >= loss)
            {
                _inFlight.Add((tick + random.Next(0, maxDelay + 1), message));
            }
        }
    }

    /// <summary>The messages due by <paramref name="tick"/>, in a random order.</summary>
    public List<T> Receive(int tick)
    {
        List<T> due = _inFlight.Where(m => m.DueTick <= tick).OrderBy(_ => random.Next()).Select(m => m.Message).ToList();
        _inFlight.RemoveAll(m => m.DueTick <= tick);
        return due;
    }
}

internal static class SnapshotAssert
{
    public static byte[] Encode(SnapshotEncoder encoder, EntityFrame frame, uint tick, SnapshotBudget budget, IInterest? interest, out SnapshotEncodeResult result)
    {
        var output = new ArrayBufferWriter<byte>();
        result = encoder.Encode(frame, tick, budget, interest, output);
        Assert.Equal(result.Bytes, output.WrittenCount);
        return output.WrittenSpan.ToArray();
    }

    public static void Equal(EntityFrame expected, EntityFrame actual, string context)
    {
        Assert.True(expected.ContentEquals(actual), $"{context}: frames differ ({expected.Count} vs {actual.Count} entities)");
        Assert.Equal(expected.ComputeHash(), actual.ComputeHash());
    }
}
