using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace RagKit.Onnx;

/// <summary>
/// BERT tokenization (lowercasing, word-or-punctuation splitting, greedy longest-match WordPiece) that produces
/// exactly the ids of the <see cref="BertTokenizer"/> it is built from, faster and with one allocation per text (the
/// result). <see cref="BertTokenizer"/> builds a normalized string, runs a regular expression and keeps a list of
/// token objects per text, and it scales poorly across cores: on a GPU host tokenization, not the model, capped
/// throughput. Here normalization is one pass into a pooled buffer (text outside ASCII is composed, NFC, as the
/// reference does), words are split by character category as the reference's expression splits them, and pieces are
/// looked up by span. Only text that names a special token ("[SEP]") is split by the reference's pre-tokenizer.
/// An unpaired surrogate, on which the reference throws, is dropped.
/// </summary>
internal sealed class WordPieceEncoder
{
    /// <summary>Words longer than this are one unknown token (the reference tokenizer's default).</summary>
    private const int MaxInputCharsPerWord = 100;

    private static readonly string[] SpecialTokenNames = ["[cls]", "[sep]", "[pad]", "[mask]", "[unk]"];

    /// <summary>What the reference normalizer and pre-tokenizer do with each ASCII character.</summary>
    private static readonly CharKind[] AsciiKinds = ClassifyAscii();

    private readonly BertTokenizer _reference;
    private readonly PieceTable _wordStarts;
    private readonly PieceTable _continuations;
    private readonly int _classificationId;
    private readonly int _separatorId;
    private readonly int _unknownId;

    public WordPieceEncoder(BertTokenizer reference, Stream vocabulary)
    {
        _reference = reference;
        _classificationId = reference.ClassificationTokenId;
        _separatorId = reference.SeparatorTokenId;
        _unknownId = reference.UnknownTokenId;

        // The same numbering as the reference: an id is the line number, empty lines keep their number.
        var starts = new List<(string Piece, int Id)>();
        var continuations = new List<(string Piece, int Id)>();
        using (var reader = new StreamReader(vocabulary))
        {
            int line = 0;
            for (string? piece = reader.ReadLine(); piece is not null; piece = reader.ReadLine(), line++)
            {
                if (piece.Length == 0)
                {
                    continue;
                }

                starts.Add((piece, line));
                if (piece.Length > 2 && piece.StartsWith("##", StringComparison.Ordinal))
                {
                    continuations.Add((piece[2..], line));
                }
            }
        }

        // The reference adds the lowercased special tokens to its vocabulary, so they match after lowercasing.
        foreach (string name in SpecialTokenNames)
        {
            IReadOnlyList<int> ids = reference.EncodeToIds(name.ToUpperInvariant(), addSpecialTokens: false);
            if (ids.Count == 1)
            {
                starts.Add((name, ids[0]));
            }
        }

        _wordStarts = new PieceTable(starts);
        _continuations = new PieceTable(continuations);
    }

    /// <summary>What normalization and word splitting do with a character.</summary>
    private enum CharKind : byte
    {
        /// <summary>A control character (tab and line breaks included, as in the reference): removed before splitting, so the letters around it join.</summary>
        Removed,

        /// <summary>Ends a word and is dropped: spaces, and symbols that are neither word characters nor punctuation.</summary>
        Separator,

        /// <summary>A letter, digit or underscore: part of a word.</summary>
        Word,

        /// <summary>Punctuation: a word of its own.</summary>
        Punctuation,
    }

    /// <summary>
    /// Tokenizes <paramref name="text"/> with [CLS] and [SEP] and keeps at most <paramref name="maxTokens"/> ids
    /// (the first ones, ending with [SEP]).
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="maxTokens">The most ids to return, at least 2.</param>
    /// <param name="tokenCount">The number of ids before truncation, [CLS] and [SEP] included.</param>
    /// <returns>The ids, [CLS] first and [SEP] last.</returns>
    public int[] Encode(string text, int maxTokens, out int tokenCount)
    {
        var output = new IdWriter(maxTokens - 1);
        output.Add(_classificationId);

        // A CJK ideograph becomes three characters (spaces around it); every other character at most one.
        char[] buffer = ArrayPool<char>.Shared.Rent(Math.Max(16, text.Length * 3));
        try
        {
            int length = Normalize(text, buffer, out bool composed);
            ReadOnlySpan<char> normalized = buffer.AsSpan(0, length);
            string? normalizedString = null;
            if (composed)
            {
                // Outside ASCII the reference composes the normalized text (NFC); it is almost always composed already.
                normalizedString = new string(normalized);
                if (!normalizedString.IsNormalized(NormalizationForm.FormC))
                {
                    normalizedString = normalizedString.Normalize(NormalizationForm.FormC);
                }

                normalized = normalizedString;
            }

            if (normalized.IndexOf('[') >= 0 && ContainsSpecialToken(normalized))
            {
                EncodeWithReferenceSplits(normalizedString ?? new string(normalized), ref output);
            }
            else
            {
                EncodeWords(normalized, ref output);
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }

        tokenCount = output.Count + 1;
        int[] ids = output.ToArray(extra: 1);
        ids[^1] = _separatorId;
        output.Dispose();
        return ids;
    }

    private static CharKind[] ClassifyAscii()
    {
        var kinds = new CharKind[128];
        for (int c = 0; c < kinds.Length; c++)
        {
            UnicodeCategory category = char.GetUnicodeCategory((char)c);
            kinds[c] = category == UnicodeCategory.Control ? CharKind.Removed : SplitKind(category);
        }

        return kinds;
    }

    /// <summary>How the reference's pre-tokenizer, the expression <c>\w+|[\p{P}]</c>, treats a character of a category.</summary>
    private static CharKind SplitKind(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.NonSpacingMark
            or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation => CharKind.Word,
        UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation
            or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation
            or UnicodeCategory.OtherPunctuation => CharKind.Punctuation,
        _ => CharKind.Separator,
    };

    /// <summary>
    /// The reference normalizer's per-character work: control characters, NUL and U+FFFD removed, spaces made ' ',
    /// upper case lowered, CJK ideographs spaced. An unpaired surrogate, on which the reference's composition
    /// throws, is removed too.
    /// </summary>
    /// <returns>The normalized length; <paramref name="composed"/> is whether a character outside ASCII was seen.</returns>
    private static int Normalize(string text, char[] buffer, out bool composed)
    {
        composed = false;
        int length = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c < 128)
            {
                CharKind kind = AsciiKinds[c];
                if (kind != CharKind.Removed)
                {
                    buffer[length++] = c is >= 'A' and <= 'Z' ? (char)(c + ('a' - 'A')) : c;
                }

                continue;
            }

            composed = true;
            int width = 1;
            if (char.IsSurrogate(c))
            {
                if (!char.IsHighSurrogate(c) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    continue;
                }

                width = 2;
            }

            if (c == '\uFFFD')
            {
                continue;
            }

            UnicodeCategory category = CharUnicodeInfo.GetUnicodeCategory(text, i);
            if (category == UnicodeCategory.Control)
            {
                // Nothing to add.
            }
            else if (category == UnicodeCategory.SpaceSeparator)
            {
                buffer[length++] = ' ';
            }
            else if (category == UnicodeCategory.UppercaseLetter)
            {
                length += text.AsSpan(i, width).ToLowerInvariant(buffer.AsSpan(length));
            }
            else if (IsCjkIdeograph(width == 2 ? char.ConvertToUtf32(c, text[i + 1]) : c))
            {
                buffer[length++] = ' ';
                text.AsSpan(i, width).CopyTo(buffer.AsSpan(length));
                length += width;
                buffer[length++] = ' ';
            }
            else
            {
                text.AsSpan(i, width).CopyTo(buffer.AsSpan(length));
                length += width;
            }

            i += width - 1;
        }

        return length;
    }

    private static bool IsCjkIdeograph(int codePoint) =>
        codePoint > 0x3400 &&
        ((uint)(codePoint - 0x3400) <= 0x4DBF - 0x3400 ||
         (uint)(codePoint - 0xF900) <= 0xFAFF - 0xF900 ||
         (uint)(codePoint - 0x4E00) <= 0x9FFF - 0x4E00 ||
         (uint)(codePoint - 0x20000) <= 0x2A6DF - 0x20000 ||
         (uint)(codePoint - 0x2A700) <= 0x2B73F - 0x2A700 ||
         (uint)(codePoint - 0x2B740) <= 0x2B81F - 0x2B740 ||
         (uint)(codePoint - 0x2B820) <= 0x2CEAF - 0x2B820 ||
         (uint)(codePoint - 0x2F800) <= 0x2FA1F - 0x2F800);

    private static bool ContainsSpecialToken(ReadOnlySpan<char> normalized)
    {
        foreach (string name in SpecialTokenNames)
        {
            if (normalized.IndexOf(name.AsSpan(), StringComparison.Ordinal) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Splits normalized text into words and punctuation as the reference's pre-tokenizer does.</summary>
    private void EncodeWords(ReadOnlySpan<char> normalized, ref IdWriter output)
    {
        int wordStart = 0;
        for (int i = 0; i < normalized.Length; i++)
        {
            char c = normalized[i];
            CharKind kind = c < 128 ? AsciiKinds[c] : SplitKind(char.GetUnicodeCategory(c));
            if (kind == CharKind.Word)
            {
                continue;
            }

            EncodeWord(normalized[wordStart..i], ref output);
            if (kind == CharKind.Punctuation)
            {
                EncodeWord(normalized.Slice(i, 1), ref output);
            }

            wordStart = i + 1;
        }

        EncodeWord(normalized[wordStart..], ref output);
    }

    private void EncodeWithReferenceSplits(string normalized, ref IdWriter output)
    {
        if (_reference.PreTokenizer is not { } preTokenizer)
        {
            EncodeWord(normalized, ref output);
            return;
        }

        foreach ((int offset, int length) in preTokenizer.PreTokenize(normalized))
        {
            EncodeWord(normalized.AsSpan(offset, length), ref output);
        }
    }

    /// <summary>Greedy longest-match WordPiece of one word; a word with an unmatched rest is one unknown token.</summary>
    private void EncodeWord(ReadOnlySpan<char> word, ref IdWriter output)
    {
        int length = word.Length;
        if (length == 0)
        {
            return;
        }

        if (length > MaxInputCharsPerWord)
        {
            output.Add(_unknownId);
            return;
        }

        int mark = output.Mark();
        int start = 0;
        while (start < length)
        {
            PieceTable table = start == 0 ? _wordStarts : _continuations;
            int end = Math.Min(length, start + table.LongestPiece);
            int id = -1;
            for (; end > start; end--)
            {
                if (table.TryGet(word[start..end], out id))
                {
                    break;
                }
            }

            if (end == start)
            {
                output.Reset(mark);
                output.Add(_unknownId);
                return;
            }

            output.Add(id);
            start = end;
        }
    }

    /// <summary>
    /// Appends ids into a pooled buffer; counts every id but keeps only the first <c>limit</c>, so a truncated text
    /// still reports its full length.
    /// </summary>
    private struct IdWriter(int limit) : IDisposable
    {
        private int[] _buffer = System.Buffers.ArrayPool<int>.Shared.Rent(Math.Min(limit, 512));
        private int _kept;

        public int Count { get; private set; }

        public void Add(int id)
        {
            if (_kept < limit)
            {
                if (_kept == _buffer.Length)
                {
                    int[] larger = System.Buffers.ArrayPool<int>.Shared.Rent(Math.Min(limit, _buffer.Length * 2));
                    _buffer.AsSpan().CopyTo(larger);
                    System.Buffers.ArrayPool<int>.Shared.Return(_buffer);
                    _buffer = larger;
                }

                _buffer[_kept++] = id;
            }

            Count++;
        }

        /// <summary>The position to go back to when a word turns out to be unknown.</summary>
        public readonly int Mark() => Count;

        public void Reset(int mark)
        {
            Count = mark;
            _kept = Math.Min(_kept, mark);
        }

        public readonly int[] ToArray(int extra)
        {
            int[] result = new int[_kept + extra];
            _buffer.AsSpan(0, _kept).CopyTo(result);
            return result;
        }

        public void Dispose()
        {
            System.Buffers.ArrayPool<int>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    /// <summary>
    /// An open-addressing table from a character span to an id, so a word's candidate pieces are looked up without
    /// building strings (net8.0 has no span lookup on <see cref="Dictionary{TKey, TValue}"/>).
    /// </summary>
    private sealed class PieceTable
    {
        private readonly string?[] _keys;
        private readonly int[] _ids;
        private readonly int _mask;

        public PieceTable(List<(string Piece, int Id)> pieces)
        {
            int size = 16;
            while (size < pieces.Count * 2)
            {
                size *= 2;
            }

            _keys = new string?[size];
            _ids = new int[size];
            _mask = size - 1;
            foreach ((string piece, int id) in pieces)
            {
                LongestPiece = Math.Max(LongestPiece, piece.Length);
                int slot = Hash(piece) & _mask;
                while (_keys[slot] is { } existing && !existing.Equals(piece, StringComparison.Ordinal))
                {
                    slot = (slot + 1) & _mask;
                }

                // A later duplicate wins, as in the reference's vocabulary dictionary for the special tokens.
                _keys[slot] = piece;
                _ids[slot] = id;
            }
        }

        public int LongestPiece { get; }

        public bool TryGet(ReadOnlySpan<char> piece, out int id)
        {
            int slot = Hash(piece) & _mask;
            while (_keys[slot] is { } key)
            {
                if (piece.SequenceEqual(key))
                {
                    id = _ids[slot];
                    return true;
                }

                slot = (slot + 1) & _mask;
            }

            id = -1;
            return false;
        }

        private static int Hash(ReadOnlySpan<char> text)
        {
            uint hash = 2166136261;
            foreach (char c in text)
            {
                hash = (hash ^ c) * 16777619;
            }

            return (int)(hash ^ (hash >> 15));
        }
    }
}
