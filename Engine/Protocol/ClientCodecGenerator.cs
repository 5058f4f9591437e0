using System.Globalization;
using System.Reflection;
using System.Text;
using MemoryPack;

namespace Engine.Protocol;

/// <summary>
/// Generates the browser's message schema (<c>samples/browser-client/protocol.generated.js</c>)
/// from the C# message types, so the JavaScript codec can never drift from the server's: a test
/// regenerates it and compares. Run <c>dotnet run --project Engine -- generate-client-codec</c>
/// after changing a message.
/// </summary>
public static class ClientCodecGenerator
{
    /// <summary>The sample's path relative to the repository root.</summary>
    public const string DefaultRelativePath = "samples/browser-client/protocol.generated.js";

    /// <summary>Generates the module for the protocol plus <paramref name="extraTypes"/> (game state types the page decodes).</summary>
    public static string Generate(IEnumerable<Type> extraTypes)
    {
        var types = new List<Type>();
        void Add(Type t)
        {
            if (!types.Contains(t))
            {
                types.Add(t);
            }
        }

        foreach (Type t in MessageCatalog.Embedded)
        {
            Add(t);
        }

        foreach ((_, Type body) in MessageCatalog.All)
        {
            Add(body);
        }

        foreach (Type t in extraTypes)
        {
            Add(t);
        }

        var js = new StringBuilder();
        js.Append("// Generated from the C# types by `dotnet run --project Engine -- generate-client-codec`. Do not edit:\n");
        js.Append("// ClientCodecTests fails when this file and the C# types disagree.\n\n");
        js.Append(CultureInfo.InvariantCulture, $"export const ProtocolVersion = {ProtocolInfo.Version};\n");
        js.Append(CultureInfo.InvariantCulture, $"export const SnapshotChannel = {ProtocolInfo.SnapshotChannel};\n\n");
        AppendEnum(js, "MessageType", typeof(MessageType));
        AppendEnum(js, "ErrorCode", typeof(ErrorCode));

        js.Append("// Type byte -> body schema name.\nexport const MessageBodies = {\n");
        foreach ((MessageType type, Type body) in MessageCatalog.All)
        {
            js.Append(CultureInfo.InvariantCulture, $"  {(byte)type}: '{body.Name}',\n");
        }

        js.Append("};\n\n");
        js.Append("// Schema name -> MemoryPack members in order: [name, kind]. Kinds: bool u8 i16 u16 i32 u32 i64 u64 f32 f64\n");
        js.Append("// string bytes obj:Name arr:Name; with '?' (string? bytes? obj?:Name arr?:Name) the member may be null.\n");
        js.Append("export const Schemas = {\n");
        foreach (Type type in types)
        {
            js.Append(CultureInfo.InvariantCulture, $"  {type.Name}: [");
            js.Append(string.Join(", ", Members(type).Select(m => $"['{m.Name}', '{m.Kind}']")));
            js.Append("],\n");
        }

        js.Append("};\n");
        return js.ToString();
    }

    /// <summary>The MemoryPack members of <paramref name="type"/> in wire order, with JS-side names and kinds.</summary>
    public static IReadOnlyList<(string Name, string Kind, PropertyInfo Property)> Members(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        MemoryPackableAttribute? packable = type.GetCustomAttribute<MemoryPackableAttribute>();
        if (packable is null || packable.SerializeLayout != SerializeLayout.Explicit)
        {
            throw new InvalidOperationException($"{type.Name} must be [MemoryPackable(SerializeLayout.Explicit)] with [MemoryPackOrder] on each member, so its wire order is knowable.");
        }

        var members = new List<(int Order, string Name, string Kind, PropertyInfo Property)>();
        foreach (PropertyInfo p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetCustomAttribute<MemoryPackIgnoreAttribute>() is not null)
            {
                continue;
            }

            MemoryPackOrderAttribute order = p.GetCustomAttribute<MemoryPackOrderAttribute>()
                ?? throw new InvalidOperationException($"{type.Name}.{p.Name} has no [MemoryPackOrder].");
            members.Add((order.Order, JsName(p.Name), KindOf(p), p));
        }

        members.Sort((a, b) => a.Order.CompareTo(b.Order));
        for (int i = 0; i < members.Count; i++)
        {
            if (members[i].Order != i)
            {
                throw new InvalidOperationException($"{type.Name}'s [MemoryPackOrder] values must be 0..n-1 without gaps.");
            }
        }

        return [.. members.Select(m => (m.Name, m.Kind, m.Property))];
    }

    private static string KindOf(PropertyInfo property)
    {
        Type t = property.PropertyType;
        if (t.IsEnum)
        {
            t = Enum.GetUnderlyingType(t);
        }

        // Reference members carry their nullability: the server rejects a null where C# does not allow one.
        string optional = !t.IsValueType && new NullabilityInfoContext().Create(property).ReadState == NullabilityState.Nullable ? "?" : "";
        if (t == typeof(string))
        {
            return "string" + optional;
        }

        if (t == typeof(byte[]))
        {
            return "bytes" + optional;
        }

        if (t.IsArray && t.GetElementType()!.GetCustomAttribute<MemoryPackableAttribute>() is not null)
        {
            return $"arr{optional}:" + t.GetElementType()!.Name;
        }

        if (t.IsClass && t.GetCustomAttribute<MemoryPackableAttribute>() is not null)
        {
            return $"obj{optional}:" + t.Name;
        }

        return Type.GetTypeCode(t) switch
        {
            TypeCode.Boolean => "bool",
            TypeCode.Byte => "u8",
            TypeCode.Int16 => "i16",
            TypeCode.UInt16 => "u16",
            TypeCode.Int32 => "i32",
            TypeCode.UInt32 => "u32",
            TypeCode.Int64 => "i64",
            TypeCode.UInt64 => "u64",
            TypeCode.Single => "f32",
            TypeCode.Double => "f64",
            _ => throw new InvalidOperationException($"{property.DeclaringType?.Name}.{property.Name}: type {t.Name} has no browser codec; use a primitive, string, byte[], or a [MemoryPackable] class or array of them."),
        };
    }

    private static void AppendEnum(StringBuilder js, string name, Type enumType)
    {
        js.Append(CultureInfo.InvariantCulture, $"export const {name} = Object.freeze({{\n");
        foreach (object value in Enum.GetValues(enumType))
        {
            js.Append(CultureInfo.InvariantCulture, $"  {Enum.GetName(enumType, value)}: {Convert.ToInt64(value, CultureInfo.InvariantCulture)},\n");
        }

        js.Append("});\n\n");
    }

    private static string JsName(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}
