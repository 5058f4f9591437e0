using Engine.Documents;
using Engine.Rooms;
using Engine.Snapshots;
using MemoryPack;

namespace Engine.Demo;

/// <summary>
/// The demo game <c>dotnet run --project Engine</c> serves: every player is a dot moved by
/// WASD/arrow keys. It shows the whole room API in about a page.
/// </summary>
public sealed class ArenaRoom : Room
{
    public const float Width = 800, Height = 500, Speed = 180; // units per second

    /// <summary>Input bits in <see cref="PlayerInput.Data"/>[0].</summary>
    public const byte Up = 1, Down = 2, Left = 4, Right = 8;

    private readonly Dictionary<int, ArenaDot> _dots = [];
    private int _spawn;

    public override void OnJoin(Player player)
    {
        var dot = new ArenaDot
        {
            PlayerId = player.Id,
            X = 100 + (_spawn * 137 % (int)(Width - 200)),
            Y = 100 + (_spawn * 89 % (int)(Height - 200)),
            Hue = (ushort)(_spawn * 47 % 360),
        };
        _spawn++;
        player.Data = dot;
        _dots[player.Id] = dot;
    }

    public override void OnLeave(Player player, string reason) => _dots.Remove(player.Id);

    /// <summary>The room document's title key: anyone may set it (last writer wins, cluster-wide).</summary>
    public const string TitleKey = "title";

    /// <summary>The scoreboard: one grow-only counter per player name, <c>score:&lt;name&gt;</c>.</summary>
    public static string ScoreCounter(string playerName) => "score:" + playerName;

    /// <summary>
    /// The demo's document rules: anyone sets the title (up to 60 characters); a player adds one
    /// point at a time to its own score and to no one else's; nothing else is writable.
    /// </summary>
    public override bool AuthorizeDocumentWrite(Player player, DocumentWrite write) => write switch
    {
        { Kind: DocumentWriteKind.Set, Key: TitleKey, Value.Length: <= 60 } => true,
        { Kind: DocumentWriteKind.Increment, Amount: 1 } => write.Key == ScoreCounter(player.Name),
        _ => false,
    };

    public override void OnInput(Player player, PlayerInput input)
    {
        if (player.Data is ArenaDot dot && input.Data.Length >= 1)
        {
            dot.Buttons = input.Data[0];
        }
    }

    public override void OnTick(TickInfo tick)
    {
        float step = (float)(Speed * tick.DeltaTime.TotalSeconds);
        foreach (ArenaDot dot in _dots.Values)
        {
            float dx = ((dot.Buttons & Right) != 0 ? 1 : 0) - ((dot.Buttons & Left) != 0 ? 1 : 0);
            float dy = ((dot.Buttons & Down) != 0 ? 1 : 0) - ((dot.Buttons & Up) != 0 ? 1 : 0);
            dot.X = Math.Clamp(dot.X + (dx * step), 0, Width);
            dot.Y = Math.Clamp(dot.Y + (dy * step), 0, Height);
        }
    }

    /// <summary>Each dot is an entity: its player's id, and the dot's MemoryPack bytes as the body.</summary>
    public override void WriteEntities(EntityFrameWriter entities)
    {
        foreach (ArenaDot dot in _dots.Values)
        {
            entities.AddMemoryPack((uint)dot.PlayerId, dot);
        }
    }

    /// <summary>Every dot matters to everyone (the arena fits one screen); nearer dots first when a snapshot is full.</summary>
    public override bool TryGetInterest(Player viewer, uint entityId, out float priority)
    {
        priority = 1;
        if (viewer.Data is ArenaDot self && _dots.TryGetValue((int)entityId, out ArenaDot? other))
        {
            float distance = MathF.Sqrt(((other.X - self.X) * (other.X - self.X)) + ((other.Y - self.Y) * (other.Y - self.Y)));
            priority = 1 + (100 / (100 + distance)); // own dot 2, one across the arena ~1.1
        }

        return true;
    }
}

/// <summary>One player's dot: an entity's body on the wire (15 bytes of MemoryPack).</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class ArenaDot
{
    [MemoryPackOrder(0)] public int PlayerId { get; set; }

    [MemoryPackOrder(1)] public float X { get; set; }

    [MemoryPackOrder(2)] public float Y { get; set; }

    [MemoryPackOrder(3)] public ushort Hue { get; set; }

    /// <summary>The held direction bits (server-side only).</summary>
    [MemoryPackIgnore] public byte Buttons { get; set; }
}
