using System.Globalization;
using System.IO.Compression;

namespace Istar.Input.Text;

/// <summary>Line-oriented reading of plain or gzipped text tables, with file names kept for messages.</summary>
internal static class TextTable
{
    /// <summary>Opens a text file, transparently gunzipping when it starts with the gzip magic bytes.</summary>
    public static StreamReader Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        int b1 = stream.ReadByte();
        int b2 = stream.ReadByte();
        stream.Position = 0;
        Stream body = b1 == 0x1f && b2 == 0x8b ? new GZipStream(stream, CompressionMode.Decompress) : stream;
        return new StreamReader(body, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
    }

    /// <summary>The first line of a small text file with trailing whitespace stripped, as iStar reads its scalars.</summary>
    public static string FirstLine(string path)
    {
        using var reader = Open(path);
        return (reader.ReadLine() ?? string.Empty).TrimEnd();
    }

    /// <summary>Reads a single number from the first line of a file such as <c>pixel-size-raw.txt</c>.</summary>
    public static double ReadScalar(string path, string what, string hint)
    {
        string name = Path.GetFileName(path);
        string line = FirstLine(path);
        if (!double.TryParse(line.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
        {
            throw new InputException(
                $"{name}, line 1",
                $"expected {what} (one number), found {Quote(line)}.",
                hint);
        }

        return value;
    }

    /// <summary>Splits on a single-character separator, stripping one level of double quotes from each field.</summary>
    public static string[] Split(string line, char separator)
    {
        var fields = line.Split(separator);
        for (int i = 0; i < fields.Length; i++)
        {
            fields[i] = Unquote(fields[i]);
        }

        return fields;
    }

    public static string Unquote(string field)
    {
        var f = field.AsSpan().TrimEnd('\r');
        if (f.Length >= 2 && f[0] == '"' && f[^1] == '"')
        {
            f = f[1..^1];
        }

        return f.ToString();
    }

    /// <summary>A value as shown in messages: quoted, shortened when long, "an empty field" when empty.</summary>
    public static string Quote(string value)
    {
        if (value.Length == 0)
        {
            return "an empty field";
        }

        return value.Length > 40 ? "\"" + value[..40] + "…\"" : "\"" + value + "\"";
    }

    /// <summary>Guesses the separator of a table from its header line: tab, then comma, then whitespace.</summary>
    public static char GuessSeparator(string header) =>
        header.Contains('\t', StringComparison.Ordinal) ? '\t' : header.Contains(',', StringComparison.Ordinal) ? ',' : ' ';

    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    public static string Number(double x) => x.ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>"a, b, c": the first few items (messages state the total separately).</summary>
    public static string Examples(IEnumerable<string> items, int max = 3) => string.Join(", ", items.Take(max));
}
