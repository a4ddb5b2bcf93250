using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Istar.Formats.Torch;

/// <summary>A Python global named in a pickle (<c>module.name</c>), e.g. <c>torch.FloatStorage</c>.</summary>
internal sealed record PyGlobal(string Module, string Name)
{
    public string FullName => Module + "." + Name;

    public override string ToString() => FullName;
}

/// <summary>
/// An instance of a class the reader does not model (<c>argparse.Namespace</c>, <c>numpy.dtype</c>, …): its class,
/// constructor arguments, <c>BUILD</c> state and any items added to it.
/// </summary>
internal sealed class PyObject(PyGlobal type, object?[] args)
{
    public PyGlobal Type { get; } = type;

    public object?[] Args { get; } = args;

    /// <summary>The <c>BUILD</c> state (for a plain object: its <c>__dict__</c>), null when none.</summary>
    public object? State { get; set; }

    /// <summary>Items set on a dict subclass (<c>SETITEM</c>) or appended to a list subclass, if any.</summary>
    public List<object?>? Items { get; set; }

    /// <summary>An attribute from a dict <see cref="State"/> (e.g. <c>args.arch</c>), or null.</summary>
    public object? Attribute(string name) => State is PyDict d ? d[name] : null;
}

/// <summary>A Python dict or OrderedDict: insertion order kept, keys compared by value (tuples by identity).</summary>
internal sealed class PyDict : IEnumerable<KeyValuePair<object, object?>>
{
    private static readonly object NoneKey = new();
    private readonly Dictionary<object, int> _index = [];
    private readonly List<KeyValuePair<object, object?>> _items = [];

    public int Count => _items.Count;

    /// <summary>The value for a key, or null when it is absent.</summary>
    public object? this[object? key] => _index.TryGetValue(key ?? NoneKey, out int i) ? _items[i].Value : null;

    public bool ContainsKey(object? key) => _index.ContainsKey(key ?? NoneKey);

    public void Set(object? key, object? value)
    {
        object k = key ?? NoneKey;
        if (_index.TryGetValue(k, out int i))
        {
            _items[i] = new(k, value);
        }
        else
        {
            _index[k] = _items.Count;
            _items.Add(new(k, value));
        }
    }

    public IEnumerator<KeyValuePair<object, object?>> GetEnumerator() => _items.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// A tensor as <c>torch.save</c> pickles it (<c>_rebuild_tensor_v2</c>): a view of <see cref="Storage"/> starting at
/// element <see cref="Offset"/> with <see cref="Shape"/> and <see cref="Stride"/> (in elements). No data is read
/// until <see cref="TorchArchive.Read"/>.
/// </summary>
internal sealed record TensorRef(TorchStorage Storage, long Offset, long[] Shape, long[] Stride);

/// <summary>
/// A minimal unpickler for <c>torch.save</c>'s <c>data.pkl</c> (pickle protocols 0–5). Builds plain objects: None →
/// null, bool, int → <see cref="long"/> (or <see cref="BigInteger"/>), float → <see cref="double"/>, str, bytes →
/// <c>byte[]</c>, tuple → <c>object?[]</c>, list and set → <see cref="List{T}"/>, dict and OrderedDict →
/// <see cref="PyDict"/>, tensors → <see cref="TensorRef"/>, numpy float64 scalars → <see cref="double"/>, anything
/// else → <see cref="PyObject"/>. Why our own and not Razorvine.Pickle: Razorvine resolves classes through one
/// process-wide registry (TorchSharp.PyBridge registers eager tensor readers there), and loading must stay lazy:
/// storages become <see cref="TorchStorage"/> handles through <paramref name="persistentLoad"/> and are read only for
/// the tensors a caller keeps. Malformed input throws <see cref="InvalidDataException"/>.
/// </summary>
internal sealed class TorchPickle
{
    private readonly byte[] _data;
    private readonly Func<object?[], object> _persistentLoad;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];
    private int _position;

    private TorchPickle(byte[] data, Func<object?[], object> persistentLoad)
    {
        _data = data;
        _persistentLoad = persistentLoad;
    }

    /// <summary>Unpickles <paramref name="data"/>; <paramref name="persistentLoad"/> resolves persistent ids (tuples).</summary>
    public static object? Load(byte[] data, Func<object?[], object> persistentLoad)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(persistentLoad);
        return new TorchPickle(data, persistentLoad).Run();
    }

    private object? Run()
    {
        while (true)
        {
            int at = _position;
            byte op = ReadByte();
            switch (op)
            {
                case 0x80: // PROTO
                    if (ReadByte() > 5)
                    {
                        throw Bad("pickle protocol above 5", at);
                    }

                    break;
                case 0x95: // FRAME: a length prefix only
                    Take(8);
                    break;
                case (byte)'.': // STOP
                    return _stack.Count == 1 ? _stack[0] : throw Bad($"{_stack.Count} values left on the stack at STOP", at);
                case (byte)'(': // MARK
                    _marks.Push(_stack.Count);
                    break;
                case (byte)'0': // POP (with nothing above the last MARK it drops the mark, as CPython does)
                    if (_marks.Count > 0 && _marks.Peek() == _stack.Count)
                    {
                        _marks.Pop();
                    }
                    else
                    {
                        Pop(at);
                    }

                    break;
                case (byte)'1': // POP_MARK
                    PopMark(at);
                    break;
                case (byte)'2': // DUP
                    Push(Peek(at));
                    break;
                case (byte)'N':
                    Push(null);
                    break;
                case 0x88:
                    Push(true);
                    break;
                case 0x89:
                    Push(false);
                    break;
                case (byte)'J': // BININT
                    Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4)));
                    break;
                case (byte)'K': // BININT1
                    Push((long)ReadByte());
                    break;
                case (byte)'M': // BININT2
                    Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2)));
                    break;
                case 0x8a: // LONG1
                    Push(LittleEndianInteger(Take(ReadByte())));
                    break;
                case 0x8b: // LONG4
                    Push(LittleEndianInteger(Take(Length(BinaryPrimitives.ReadInt32LittleEndian(Take(4)), at))));
                    break;
                case (byte)'I': // INT (text; "00"/"01" are protocol-0 bools)
                    Push(TextInteger(ReadLine(), at));
                    break;
                case (byte)'L': // LONG (text)
                    Push(TextInteger(ReadLine().TrimEnd('L'), at));
                    break;
                case (byte)'G': // BINFLOAT (big-endian)
                    Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8)));
                    break;
                case (byte)'F': // FLOAT (text)
                    Push(double.TryParse(ReadLine(), NumberStyles.Float, CultureInfo.InvariantCulture, out double f) ? f : throw Bad("malformed FLOAT", at));
                    break;
                case (byte)'X': // BINUNICODE
                    Push(Encoding.UTF8.GetString(Take(Length((long)BinaryPrimitives.ReadUInt32LittleEndian(Take(4)), at))));
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    Push(Encoding.UTF8.GetString(Take(ReadByte())));
                    break;
                case 0x8d: // BINUNICODE8
                    Push(Encoding.UTF8.GetString(Take(Length(BinaryPrimitives.ReadUInt64LittleEndian(Take(8)), at))));
                    break;
                case (byte)'V': // UNICODE (raw-unicode-escape text; ASCII in practice)
                    Push(ReadLine());
                    break;
                case (byte)'T': // BINSTRING (Python 2 str)
                    Push(Encoding.Latin1.GetString(Take(Length(BinaryPrimitives.ReadInt32LittleEndian(Take(4)), at))));
                    break;
                case (byte)'U': // SHORT_BINSTRING
                    Push(Encoding.Latin1.GetString(Take(ReadByte())));
                    break;
                case (byte)'S': // STRING (quoted text)
                    Push(ReadLine().Trim('\'', '"'));
                    break;
                case (byte)'B': // BINBYTES
                    Push(Take(Length((long)BinaryPrimitives.ReadUInt32LittleEndian(Take(4)), at)).ToArray());
                    break;
                case (byte)'C': // SHORT_BINBYTES
                    Push(Take(ReadByte()).ToArray());
                    break;
                case 0x8e: // BINBYTES8
                case 0x96: // BYTEARRAY8
                    Push(Take(Length(BinaryPrimitives.ReadUInt64LittleEndian(Take(8)), at)).ToArray());
                    break;
                case 0x98: // READONLY_BUFFER: no-op
                    break;
                case (byte)')': // EMPTY_TUPLE
                    Push(Array.Empty<object?>());
                    break;
                case (byte)'t': // TUPLE
                    Push(PopMark(at).ToArray());
                    break;
                case 0x85: // TUPLE1
                    Push(new[] { Pop(at) });
                    break;
                case 0x86: // TUPLE2
                {
                    object? b = Pop(at);
                    object? a = Pop(at);
                    Push(new[] { a, b });
                    break;
                }

                case 0x87: // TUPLE3
                {
                    object? c = Pop(at);
                    object? b = Pop(at);
                    object? a = Pop(at);
                    Push(new[] { a, b, c });
                    break;
                }

                case (byte)']': // EMPTY_LIST
                case 0x8f: // EMPTY_SET
                    Push(new List<object?>());
                    break;
                case (byte)'l': // LIST
                    Push(PopMark(at));
                    break;
                case 0x91: // FROZENSET
                    Push(PopMark(at));
                    break;
                case (byte)'a': // APPEND
                {
                    object? item = Pop(at);
                    Append(Peek(at), [item], at);
                    break;
                }

                case (byte)'e': // APPENDS
                case 0x90: // ADDITEMS
                {
                    var items = PopMark(at);
                    Append(Peek(at), items, at);
                    break;
                }

                case (byte)'}': // EMPTY_DICT
                    Push(new PyDict());
                    break;
                case (byte)'d': // DICT
                {
                    var items = PopMark(at);
                    var dict = new PyDict();
                    SetItems(dict, items, at);
                    Push(dict);
                    break;
                }

                case (byte)'s': // SETITEM
                {
                    object? value = Pop(at);
                    object? key = Pop(at);
                    SetItems(Peek(at), [key, value], at);
                    break;
                }

                case (byte)'u': // SETITEMS
                {
                    var items = PopMark(at);
                    SetItems(Peek(at), items, at);
                    break;
                }

                case (byte)'c': // GLOBAL "module\nname\n"
                {
                    string module = ReadLine();
                    Push(new PyGlobal(module, ReadLine()));
                    break;
                }

                case 0x93: // STACK_GLOBAL
                {
                    object? name = Pop(at);
                    object? module = Pop(at);
                    Push(module is string m && name is string n ? new PyGlobal(m, n) : throw Bad("STACK_GLOBAL without strings", at));
                    break;
                }

                case (byte)'R': // REDUCE
                {
                    object? args = Pop(at);
                    object? callable = Pop(at);
                    Push(Call(callable, args as object?[] ?? throw Bad("REDUCE arguments are not a tuple", at), at));
                    break;
                }

                case 0x81: // NEWOBJ
                {
                    object? args = Pop(at);
                    object? type = Pop(at);
                    Push(type is PyGlobal g && args is object?[] a ? new PyObject(g, a) : throw Bad("NEWOBJ without a class and a tuple", at));
                    break;
                }

                case 0x92: // NEWOBJ_EX
                {
                    Pop(at);
                    object? args = Pop(at);
                    object? type = Pop(at);
                    Push(type is PyGlobal g && args is object?[] a ? new PyObject(g, a) : throw Bad("NEWOBJ_EX without a class and a tuple", at));
                    break;
                }

                case (byte)'b': // BUILD
                {
                    object? state = Pop(at);
                    if (Peek(at) is PyObject o)
                    {
                        o.State = state;
                    }

                    // Other targets (an OrderedDict's _metadata, a tensor's hooks) carry nothing the reader needs.
                    break;
                }

                case (byte)'Q': // BINPERSID
                    Push(_persistentLoad(Pop(at) as object?[] ?? throw Bad("persistent id is not a tuple", at)));
                    break;
                case (byte)'P': // PERSID (text id)
                    Push(_persistentLoad([ReadLine()]));
                    break;
                case (byte)'h': // BINGET
                    Push(Recall(ReadByte(), at));
                    break;
                case (byte)'j': // LONG_BINGET
                    Push(Recall(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)), at));
                    break;
                case (byte)'g': // GET
                    Push(Recall(TextIndex(ReadLine(), at), at));
                    break;
                case (byte)'q': // BINPUT
                    _memo[ReadByte()] = Peek(at);
                    break;
                case (byte)'r': // LONG_BINPUT
                    _memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(at);
                    break;
                case (byte)'p': // PUT
                    _memo[TextIndex(ReadLine(), at)] = Peek(at);
                    break;
                case 0x94: // MEMOIZE
                    _memo[_memo.Count] = Peek(at);
                    break;
                default:
                    throw Bad($"unsupported pickle opcode 0x{op:x2}", at);
            }
        }
    }

    /// <summary>What <c>REDUCE</c> builds for the globals torch checkpoints use; a <see cref="PyObject"/> otherwise.</summary>
    private static object? Call(object? callable, object?[] args, int at)
    {
        if (callable is not PyGlobal g)
        {
            throw Bad("REDUCE of something that is not a class or function", at);
        }

        switch (g.FullName)
        {
            case "collections.OrderedDict":
            case "builtins.dict":
            case "__builtin__.dict":
                return new PyDict();
            case "builtins.set":
            case "builtins.frozenset":
            case "__builtin__.set":
            case "builtins.list":
                return args.Length > 0 && args[0] is List<object?> items ? new List<object?>(items) : [];
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_tensor":
                return RebuildTensor(args, at);
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                return args.Length > 0 ? args[0] : throw Bad("_rebuild_parameter without data", at);
            case "_codecs.encode":
                // Protocol 2 has no bytes type: Python 3 pickles bytes as encode(text, 'latin1').
                return args.Length > 0 && args[0] is string text ? Encoding.Latin1.GetBytes(text) : throw Bad("_codecs.encode without text", at);
            case "numpy.core.multiarray.scalar":
            case "numpy._core.multiarray.scalar":
                return NumpyScalar(g, args);
            default:
                return new PyObject(g, args);
        }
    }

    private static TensorRef RebuildTensor(object?[] args, int at)
    {
        if (args.Length < 4 || args[0] is not TorchStorage storage || args[1] is not long offset || args[2] is not object?[] shape || args[3] is not object?[] stride)
        {
            throw Bad("_rebuild_tensor arguments are not (storage, offset, shape, stride, …)", at);
        }

        return new TensorRef(storage, offset, Longs(shape, at), Longs(stride, at));
    }

    /// <summary>numpy.float64 (what DINO's schedules put into the optimizer's lr) as a double; other scalars kept raw.</summary>
    private static object NumpyScalar(PyGlobal g, object?[] args)
    {
        string? code = args.Length > 0 && args[0] is PyObject { Type.Name: "dtype" } dtype && dtype.Args.Length > 0 ? dtype.Args[0] as string : null;
        if (args.Length > 1 && args[1] is byte[] raw)
        {
            switch (code)
            {
                case "f8" when raw.Length == 8:
                    return BinaryPrimitives.ReadDoubleLittleEndian(raw);
                case "f4" when raw.Length == 4:
                    return (double)BinaryPrimitives.ReadSingleLittleEndian(raw);
                case "i8" when raw.Length == 8:
                    return BinaryPrimitives.ReadInt64LittleEndian(raw);
                case "i4" when raw.Length == 4:
                    return (long)BinaryPrimitives.ReadInt32LittleEndian(raw);
            }
        }

        return new PyObject(g, args);
    }

    private static long[] Longs(object?[] values, int at)
    {
        var result = new long[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = values[i] is long v ? v : throw Bad("tensor shape or stride is not a tuple of ints", at);
        }

        return result;
    }

    private static void SetItems(object? target, List<object?> items, int at)
    {
        if (items.Count % 2 != 0)
        {
            throw Bad("odd number of dict items", at);
        }

        switch (target)
        {
            case PyDict dict:
                for (int i = 0; i < items.Count; i += 2)
                {
                    dict.Set(items[i], items[i + 1]);
                }

                break;
            case PyObject o:
                (o.Items ??= []).AddRange(items);
                break;
            default:
                throw Bad("SETITEM on something that is not a dict", at);
        }
    }

    private static void Append(object? target, List<object?> items, int at)
    {
        switch (target)
        {
            case List<object?> list:
                list.AddRange(items);
                break;
            case PyObject o:
                (o.Items ??= []).AddRange(items);
                break;
            default:
                throw Bad("APPEND on something that is not a list", at);
        }
    }

    private static object LittleEndianInteger(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0)
        {
            return 0L;
        }

        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value;
    }

    private static object TextInteger(string text, int at) => text switch
    {
        "00" => false,
        "01" => true,
        _ => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) ? (object)v
            : BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big) ? big
            : throw Bad("malformed INT", at),
    };

    private static long TextIndex(string text, int at) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : throw Bad("malformed memo index", at);

    private int Length(long length, int at) => length >= 0 && length <= _data.Length - _position ? (int)length : throw Bad($"length {length} runs past the end", at);

    private int Length(ulong length, int at) => length <= (ulong)(_data.Length - _position) ? (int)length : throw Bad($"length {length} runs past the end", at);

    private object? Recall(long index, int at) => _memo.TryGetValue(index, out object? value) ? value : throw Bad($"memo entry {index} was never stored", at);

    private void Push(object? value) => _stack.Add(value);

    // Like CPython, opcodes other than the MARK ones see only what was pushed after the last MARK.
    private object? Peek(int at) => _stack.Count > 0 && (_marks.Count == 0 || _marks.Peek() < _stack.Count) ? _stack[^1] : throw Bad("stack underflow", at);

    private object? Pop(int at)
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks.Peek() == _stack.Count))
        {
            throw Bad("stack underflow", at);
        }

        object? value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private List<object?> PopMark(int at)
    {
        if (_marks.Count == 0)
        {
            throw Bad("no MARK on the stack", at);
        }

        int start = _marks.Pop();
        var items = _stack.GetRange(start, _stack.Count - start);
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    private byte ReadByte() => _position < _data.Length ? _data[_position++] : throw Bad("unexpected end of the pickle", _position);

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > _data.Length - _position)
        {
            throw Bad("unexpected end of the pickle", _position);
        }

        var span = _data.AsSpan(_position, count);
        _position += count;
        return span;
    }

    private string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _position);
        if (end < 0)
        {
            throw Bad("unexpected end of the pickle", _position);
        }

        string line = Encoding.UTF8.GetString(_data, _position, end - _position);
        _position = end + 1;
        return line;
    }

    private static InvalidDataException Bad(string what, int at) => new($"{what} (data.pkl byte {at})");
}
