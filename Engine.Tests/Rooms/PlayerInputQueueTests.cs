using System.Buffers;
using System.Buffers.Binary;
using Engine.Rooms;

namespace Engine.Tests.Rooms;

/// <summary>
/// A player's input queue is filled by I/O threads (a QUIC driver handing over a datagram) while the
/// room's tick drains it, without the room's lock on the filling side.
/// </summary>
public class PlayerInputQueueTests
{
    [Fact]
    public async Task EnqueueInput_ConcurrentWithDrain_EachInputAppliedAtMostOnceInOrderAndNoneLostUnlessCounted()
    {
        var player = new Player(1, "p");
        var room = new RecordingRoom();
        const int total = 50_000;
        using var done = new CancellationTokenSource();
        Task producer = Task.Run(() =>
        {
            byte[] data = new byte[4];
            for (uint sequence = 1; sequence <= total; sequence++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(data, sequence);
                player.EnqueueInput(sequence, 0, data);
            }
        });
        Task consumer = Task.Run(() =>
        {
            while (!producer.IsCompleted)
            {
                player.DrainInputs(room);
            }

            player.DrainInputs(room);
        });
        await Task.WhenAll(producer, consumer);

        // Applied in increasing order, each once, the bytes matching the sequence; the rest were dropped as the oldest when the queue was full, and counted.
        Assert.Equal(room.Applied.Order(), room.Applied);
        Assert.Equal(room.Applied.Count, room.Applied.Distinct().Count());
        Assert.All(room.Applied, pair => Assert.Equal(pair.Sequence, pair.Payload));
        Assert.Equal(total, room.Applied.Count + player.InputsDropped);
        Assert.Equal((uint)total, room.Applied[^1].Sequence);
    }

    private sealed class RecordingRoom : Room
    {
        public List<(uint Sequence, uint Payload)> Applied { get; } = [];

        public override void OnInput(Player player, PlayerInput input) =>
            Applied.Add((input.Sequence, BinaryPrimitives.ReadUInt32LittleEndian(input.Data)));

        public override void OnTick(TickInfo tick)
        {
        }

        public override void WriteState(IBufferWriter<byte> writer)
        {
        }
    }
}
