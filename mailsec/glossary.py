"""The course glossary: English terms with their Japanese equivalents and a one-line meaning.

The course-wide terms come from the course's source material; each chapter adds its own
(:data:`CHAPTER_TERMS`). Chapters show them with :func:`mailsec.render.html.glossary_table`, so every
notebook spells a term the same way. The glossary is the single source of the course's terms for
both editions: each term's meaning is written in English and in Japanese (:meth:`Term.meaning_in`
gives the one to show), as data beside the terms rather than catalog messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailsec.errors import InputError
from mailsec.i18n import PSEUDO, language, texts

__all__ = ["CHAPTER_TERMS", "GLOSSARY", "Term", "chapter_terms", "terms"]


@dataclass(frozen=True)
class Term:
    """A glossary entry."""

    english: str
    japanese: str
    meaning: str
    """What the term means, in English."""
    meaning_ja: str = ""
    """What the term means, in Japanese (the same sentence, in the Japanese notebooks' words).
    Every entry of the glossary has one; a term a notebook makes itself (``Term(english,
    japanese, meaning)``) may leave it out, and then shows the glossary's Japanese meaning of the
    same term and meaning, if there is one."""

    def meaning_in(self, lang: str | None = None) -> str:
        """The meaning in ``lang`` (default: the current language; the pseudo-locale marks the
        English meaning, as it marks every translated string)."""
        lang = lang or language()
        if lang == "ja":
            if self.meaning_ja:
                return self.meaning_ja
            entry = GLOSSARY.get(self.english)
            return entry.meaning_ja if entry and entry.meaning == self.meaning else self.meaning
        if lang == PSEUDO:
            return "⟦" + self.meaning + "⟧"
        return self.meaning


TEXT = texts(
    {
        "no_chapter": "No chapter {chapter!r} in the glossary; chapters: {chapters}.",
        "missing": "Not in the glossary: {terms}.",
    }
)
"""The glossary's sentences (see :mod:`mailsec.i18n`); its terms and meanings are data."""


_COURSE_TERMS: tuple[Term, ...] = (
    Term(
        "mail server",
        "メールサーバ",
        "A computer that accepts, stores or forwards mail.",
        "メールを受け取り、保存し、または転送するコンピュータ。",
    ),
    Term(
        "mailbox quota",
        "メールボックス容量",
        "The most a user's mailbox on the server may hold.",
        "サーバ上の利用者のメールボックスに保存できる量の上限。",
    ),
    Term(
        "download",
        "ダウンロード",
        "Copying mail from the server to the device.",
        "メールをサーバから端末へコピーすること。",
    ),
    Term(
        "spoofing (forged sender)",
        "なりすまし",
        "Sending mail that claims to come from someone else.",
        "ほかの誰かから来たと偽ってメールを送ること。",
    ),
    Term(
        "sender domain authentication",
        "送信ドメイン認証",
        "Checking that mail really comes from the domain it names (SPF, DKIM, DMARC).",
        "メールが、名乗っているドメインから本当に来たのかを確認すること（SPF、DKIM、DMARC）。",
    ),
    Term(
        "outbound port 25 blocking",
        "OP25B",
        "An ISP drops its customers' direct port-25 connections to outside mail servers.",
        "ISPが、顧客から外部のメールサーバへの25番ポートの直接の接続を遮断すること。",
    ),
    Term(
        "ISP",
        "インターネットサービスプロバイダ",
        "The company that connects a home or office to the Internet.",
        "家庭やオフィスをインターネットにつなぐ事業者。",
    ),
    Term(
        "packet blocking",
        "パケット遮断",
        "A network device dropping packets so they never arrive.",
        "ネットワーク機器がパケットを捨て、宛先に届かないようにすること。",
    ),
    Term(
        "public-key cryptography",
        "公開鍵暗号方式",
        "Encryption with a key pair: what the public key locks, only the private key opens.",
        "鍵ペアを使う暗号方式。公開鍵で暗号化したものは、秘密鍵でしか復号できない。",
    ),
    Term(
        "symmetric-key cryptography",
        "共通鍵暗号方式",
        "Encryption where the same secret key locks and unlocks.",
        "暗号化と復号に同じ秘密の鍵を使う暗号方式。",
    ),
    Term(
        "hybrid encryption",
        "ハイブリッド暗号方式",
        "The message is encrypted with a symmetric key; that key with the recipient's public key.",
        "メールを共通鍵で暗号化し、その共通鍵を受信者の公開鍵で暗号化する方式。",
    ),
    Term(
        "encryption",
        "暗号化",
        "Turning a message into data only the intended reader can turn back.",
        "メールを、想定した読み手だけが元に戻せるデータに変換すること。",
    ),
    Term(
        "digital signature",
        "電子署名",
        "A value only the private-key holder can make; anyone can check it.",
        "秘密鍵の持ち主だけが作れ、誰でも確認できる値。",
    ),
    Term(
        "digital certificate",
        "電子証明書",
        "A CA's signed statement that a public key belongs to a name or address.",
        "公開鍵がある名前やアドレスのものであることを、認証局が署名して示したもの。",
    ),
    Term(
        "authentication",
        "認証",
        "Checking who someone (or something) really is.",
        "相手（人や機器）が本当に誰なのかを確認すること。",
    ),
    Term(
        "tamper detection",
        "改ざん検知",
        "Noticing that a message was changed after it was sent.",
        "送信後にメールが変更されたことに気づくこと。",
    ),
    Term(
        "mail client",
        "メーラー（メールクライアント）",
        "The program a person reads and writes mail with.",
        "人がメールを読み書きするプログラム。",
    ),
)


#: Each chapter's own terms, beside the course-wide ones.
CHAPTER_TERMS: dict[str, tuple[Term, ...]] = {
    # Chapter 01: receiving mail: POP3 vs IMAP4
    "01": (
        Term(
            "POP3 (Post Office Protocol 3)",
            "POP3（ポップスリー）",
            "Downloads mail from the server to one device, which keeps and manages it (RFC 1939).",
            "メールをサーバから一台の端末にダウンロードし、その端末で保存・管理するプロトコル（RFC 1939）。",
        ),
        Term(
            "IMAP4 (Internet Message Access Protocol 4)",
            "IMAP4（アイマップフォー）",
            "Keeps and manages mail on the server; every device shows the same mailbox (RFC 3501; RFC 9051).",
            "メールをサーバ上で保存・管理するプロトコル。どの端末にも同じメールボックスが見える（RFC 3501、RFC 9051）。",
        ),
        Term(
            "leave a copy on the server",
            "サーバーにメッセージのコピーを置く",
            "A POP3 client setting: download, but do not delete the server's copy.",
            "POP3クライアントの設定。ダウンロードしても、サーバ上のコピーは削除しない。",
        ),
        Term(
            "read / unread (flags)",
            "既読／未読（フラグ）",
            "Marks such as \\Seen and \\Flagged that IMAP4 keeps on the server for every device.",
            "\\Seenや\\Flaggedなどの印。IMAP4はこれをサーバ上に保存し、すべての端末で共有する。",
        ),
        Term(
            "expunge",
            "完全削除（エクスパンジ）",
            "Removing for good the messages marked \\Deleted; only then is their space freed.",
            "\\Deletedの印が付いたメールを完全に取り除くこと。このとき初めて、その分の容量が空く。",
        ),
        Term(
            "synchronisation",
            "同期",
            "Making a device's copy of the mailbox match the server's, both ways.",
            "端末のメールボックスのコピーとサーバの内容を、双方向で一致させること。",
        ),
        Term(
            "bounce (non-delivery report)",
            "エラーメール（不達通知）",
            "The message sent back to the sender when mail cannot be delivered.",
            "メールを配送できなかったときに、送信者へ返されるメール。",
        ),
    ),
    # Chapter 02: OP25B
    "02": (
        Term(
            "dynamic IP address",
            "動的IPアドレス",
            "An address an ISP lends a customer's line for a while, from its pool (its dynamic pool).",
            "ISPが、自分のアドレスのプール（動的アドレスのプール）から顧客の回線に一定期間貸し出すアドレス。",
        ),
        Term(
            "submission port (587)",
            "サブミッションポート",
            "The port where mail programs hand in new mail after logging in (SMTP AUTH); RFC 6409.",
            "メーラーがログイン（SMTP AUTH）してから新しいメールを引き渡すポート（RFC 6409）。",
        ),
        Term(
            "SMTP authentication (SMTP AUTH)",
            "SMTP認証",
            "Logging in to the sending server with a user name and password before sending.",
            "送信前に、ユーザ名とパスワードで送信用サーバにログインすること。",
        ),
        Term(
            "open relay",
            "オープンリレー（第三者中継）",
            "A mail server that passes on anyone's mail to anywhere; spammers abuse it.",
            "誰のメールでもどこへでも中継してしまうメールサーバ。迷惑メール送信者に悪用される。",
        ),
        Term(
            "webmail",
            "Webメール",
            "Mail read and sent in a web browser over HTTPS (port 443), e.g. Gmail or Yahoo Mail.",
            "Webブラウザから、HTTPS（443番ポート）で読み書きするメール（GmailやYahoo!メールなど）。",
        ),
        Term(
            "inbound port 25 blocking (IP25B)",
            "IP25B",
            "A mail server refusing port-25 mail from other ISPs' dynamic addresses.",
            "メールサーバが、ほかのISPの動的アドレスから25番ポートで届くメールを拒否すること。",
        ),
    ),
    # Chapter 03: SPF
    "03": (
        Term(
            "SPF (Sender Policy Framework)",
            "SPF（送信ドメイン認証の一方式）",
            "A domain lists in DNS which servers may send its mail; receivers check the client against it (RFC 7208).",
            "ドメインが、自分のメールを送ってよいサーバをDNSに記載し、受信者が接続してきたサーバをそれと照らし合わせる仕組み（RFC 7208）。",
        ),
        Term(
            "SPF record",
            "SPFレコード",
            "The TXT record starting 'v=spf1' that lists a domain's authorised sending servers.",
            "「v=spf1」で始まるTXTレコード。ドメインのメールを送ることを許可されたサーバを記載する。",
        ),
        Term(
            "DNS TXT record",
            "TXTレコード",
            "A DNS record that holds free text; SPF publishes its policy in one.",
            "自由な文字列を格納するDNSのレコード。SPFはこれでポリシーを公開する。",
        ),
        Term(
            "envelope sender (MAIL FROM)",
            "エンベロープFrom（MAIL FROM）",
            "The sender address given in the SMTP conversation; SPF checks its domain. Bounces go here.",
            "SMTPのやり取りで示される送信者のアドレス。SPFはそのドメインを確認する。エラーメールはここへ返る。",
        ),
        Term(
            "header From",
            "ヘッダFrom",
            "The From: line inside the message that a person reads; SPF does not check it.",
            "人が読む、メールの中のFrom:の行。SPFはこれを確認しない。",
        ),
        Term(
            "mechanism",
            "メカニズム",
            "A term of an SPF record that may match the client: ip4, ip6, a, mx, include, exists, ptr, all.",
            "接続してきたクライアントと一致しうる、SPFレコードの項目：ip4、ip6、a、mx、include、exists、ptr、all。",
        ),
        Term(
            "qualifier",
            "修飾子（クオリファイア）",
            "The sign before a mechanism, giving the result on a match: + pass, - fail, ~ softfail, ? neutral.",
            "メカニズムの前の記号。一致したときの結果を決める：+はpass、-はfail、~はsoftfail、?はneutral。",
        ),
        Term(
            "softfail",
            "ソフトフェイル",
            "'Probably not authorised': receivers accept the mail but treat it as suspicious.",
            "「おそらく許可されていない」。受信者はメールを受け付けるが、疑わしいものとして扱う。",
        ),
        Term(
            "DNS lookup limit",
            "DNS参照回数の上限",
            "At most 10 terms that need DNS per check; the 11th makes the result permerror (RFC 7208 §4.6.4).",
            "1回の確認でDNSを必要とする項目は最大10個。11個目で結果はpermerrorになる（RFC 7208 §4.6.4）。",
        ),
        Term(
            "mail forwarding",
            "メール転送",
            "A server passing received mail on to another address; it breaks SPF unless the envelope is rewritten (SRS).",
            "受け取ったメールをサーバが別のアドレスへ送ること。エンベロープを書き換えない（SRS）かぎり、SPFは失敗する。",
        ),
        Term(
            "DMARC",
            "DMARC",
            "A policy that ties SPF and DKIM results to the From: header domain (alignment) and tells receivers what to do.",
            "SPFとDKIMの結果をFrom:ヘッダのドメインに結び付け（アライメント）、受信者にどう扱うかを伝えるポリシー。",
        ),
    ),
    # Chapter 05: S/MIME (its notebook writes these three with their English meanings; the
    # Japanese edition shows the meanings below)
    "05": (
        Term(
            "certificate authority (CA)",
            "認証局",
            "An organisation whose signature on a certificate vouches that a key belongs to a name.",
            "電子証明書に署名し、鍵がその名前のものであることを保証する組織。",
        ),
        Term(
            "root certificate",
            "ルート証明書",
            "A CA certificate that a program trusts by itself; chains of signatures end there.",
            "プログラムがそれ自体で信頼する認証局の電子証明書。署名の連鎖はここで終わる。",
        ),
        Term(
            "S/MIME",
            "S/MIME",
            "The standard for signed and encrypted MIME mail with certificates (RFC 8551).",
            "電子証明書を使って、署名・暗号化したMIMEメールをやり取りする標準（RFC 8551）。",
        ),
    ),
    # Chapter 06: PGP
    "06": (
        Term(
            "key fingerprint",
            "フィンガープリント（鍵指紋）",
            "A short hash of a public key; compare it in person to be sure a key is the right one.",
            "公開鍵の短いハッシュ値。鍵が正しいものかを確かめるため、本人と直接照らし合わせる。",
        ),
        Term(
            "key signing (certification)",
            "鍵への署名",
            "Signing someone's public key to say: I checked that this key belongs to this name.",
            "他人の公開鍵に署名し、「この鍵がこの名前の人のものであることを確認した」と示すこと。",
        ),
        Term(
            "owner trust",
            "所有者信用（GnuPG の表記）",
            "How far you trust a person to check keys before signing them; your private setting.",
            "ある人が鍵に署名する前にどれだけきちんと確認すると信じるか。自分だけの非公開の設定。",
        ),
        Term(
            "web of trust",
            "信頼の輪（Web of Trust）",
            "Users sign each other's keys; a key is valid when enough trusted signatures reach it.",
            "利用者どうしが互いの鍵に署名する仕組み。信頼できる署名が十分に届いた鍵が有効になる。",
        ),
        Term(
            "certification authority (CA)",
            "認証局",
            "An organisation that signs certificates; S/MIME's trust starts from its root.",
            "電子証明書に署名する組織。S/MIMEの信頼はそのルートから始まる。",
        ),
        Term(
            "revocation",
            "失効",
            "Declaring a key or certificate no longer valid (a revocation signature, a CRL or OCSP).",
            "鍵や電子証明書がもう有効でないと宣言すること（失効署名、CRL、OCSP）。",
        ),
    ),
    # Chapter 07: DKIM and DMARC
    "07": (
        Term(
            "DKIM (DomainKeys Identified Mail)",
            "DKIM（電子署名方式の送信ドメイン認証）",
            "The sending domain signs header fields and body; receivers check with the public key in its DNS (RFC 6376).",
            "送信側のドメインがヘッダフィールドと本文に署名し、受信者がそのDNSにある公開鍵で確認する仕組み（RFC 6376）。",
        ),
        Term(
            "DKIM signature",
            "DKIM署名",
            "The DKIM-Signature: header field a domain adds: what was signed (h=), the hashes and the signature.",
            "ドメインが加えるDKIM-Signature:ヘッダフィールド。署名した対象（h=）、ハッシュ値、署名を含む。",
        ),
        Term(
            "selector",
            "セレクタ",
            "The name (s=) under which a domain publishes one of its keys: <selector>._domainkey.<domain>.",
            "ドメインが鍵の一つを公開する名前（s=）：<selector>._domainkey.<domain>。",
        ),
        Term(
            "canonicalization",
            "正規化",
            "Rewriting header and body the same way on both sides before hashing (simple or relaxed), so harmless changes do not break the signature.",
            "ハッシュを計算する前に、ヘッダと本文を送信側と受信側で同じように書き直すこと（simpleまたはrelaxed）。無害な変更で署名が壊れないようにする。",
        ),
        Term(
            "body hash",
            "本文のハッシュ値",
            "The hash of the canonicalized body (bh=); a changed body gives a different one.",
            "正規化した本文のハッシュ値（bh=）。本文が変わると別の値になる。",
        ),
        Term(
            "alignment",
            "アライメント（整合）",
            "DMARC's test that the domain SPF or DKIM checked is the From: domain a person reads (relaxed: the same organization; strict: identical).",
            "SPFやDKIMが確認したドメインが、人が読むFrom:のドメインであるかというDMARCの判定（relaxedは同じ組織、strictは完全に同一）。",
        ),
        Term(
            "organizational domain",
            "組織ドメイン",
            "The registered domain (example.co.jp for news.example.co.jp), found with the Public Suffix List.",
            "登録されたドメイン（news.example.co.jpならexample.co.jp）。Public Suffix Listを使って求める。",
        ),
        Term(
            "DMARC policy",
            "DMARCポリシー",
            "What the From: domain asks receivers to do with mail that fails: none (監視のみ), quarantine (隔離), reject (受信拒否).",
            "認証に失敗したメールをどう扱うかについて、From:のドメインが受信者に求めること：none（監視のみ）、quarantine（隔離）、reject（受信拒否）。",
        ),
        Term(
            "aggregate report",
            "集約レポート",
            "The daily XML summary receivers send to the rua= address: which servers sent mail in the domain's name and how it fared.",
            "受信者がrua=のアドレスへ送る、毎日のXMLの集計。どのサーバがそのドメインの名でメールを送り、結果がどうだったかを示す。",
        ),
        Term(
            "ARC (Authenticated Received Chain)",
            "ARC",
            "Signed header fields a forwarder adds to carry the authentication results it saw (RFC 8617).",
            "転送するサーバが、自分が見た認証結果を運ぶために加える、署名付きのヘッダフィールド（RFC 8617）。",
        ),
        Term(
            "mailing list",
            "メーリングリスト",
            "A server that resends each message to its members, often changing the Subject or body, which breaks DKIM.",
            "各メールをメンバーに送り直すサーバ。件名や本文を変えることが多く、そのためDKIMが失敗する。",
        ),
    ),
    # Chapter 08: protecting the path
    "08": (
        Term(
            "encrypting the path",
            "通信経路の暗号化",
            "Encrypting each connection a message travels over (TLS), so nobody on the way can read it there; unlike S/MIME or PGP it does not protect the message end to end.",
            "メールが通る接続の一つ一つを暗号化すること（TLS）。途中の誰もそこでは読めないが、S/MIMEやPGPと違ってメールをエンドツーエンドでは守らない。",
        ),
        Term(
            "POP3S / IMAPS / SMTPS",
            "POP3S／IMAPS／SMTPS",
            "POP3, IMAP4 and SMTP inside TLS from the first byte, on their own ports (995, 993, 465): implicit TLS, which RFC 8314 recommends.",
            "最初のバイトからTLSの中で使うPOP3、IMAP4、SMTP。それぞれ専用のポート（995、993、465）を使う。RFC 8314が推奨する暗黙のTLS。",
        ),
        Term(
            "STARTTLS",
            "STARTTLS",
            "A command that turns a plaintext connection into TLS (STLS in POP3); an attacker on the path can remove the offer unless the client requires TLS.",
            "平文の接続をTLSに切り替えるコマンド（POP3ではSTLS）。クライアントがTLSを必須にしていなければ、経路上の攻撃者がその提示を取り除ける。",
        ),
        Term(
            "eavesdropping",
            "盗聴",
            "Reading traffic on the way; with TLS the eavesdropper still sees the server name, sizes and timing.",
            "途中で通信を読み取ること。TLSを使っても、盗聴者にはサーバ名、大きさ、タイミングが見える。",
        ),
        Term(
            "APOP",
            "APOP",
            "A POP3 login that sends an MD5 digest of a challenge and the password instead of the password; a captured digest falls to a dictionary search.",
            "パスワードの代わりに、チャレンジとパスワードのMD5ダイジェストを送るPOP3のログイン。取り込まれたダイジェストは辞書攻撃で破られる。",
        ),
        Term(
            "challenge-response",
            "チャレンジレスポンス",
            "Proving you know a secret by answering a fresh challenge with a value computed from it, so the secret itself is not sent.",
            "新しいチャレンジに、秘密から計算した値で答えることで、秘密そのものを送らずに知っていることを証明する方式。",
        ),
        Term(
            "POP before SMTP",
            "POP before SMTP",
            "A server lets an address relay mail for a few minutes after a POP3 login from it; everyone behind the same address gets the same right.",
            "POP3でログインしたアドレスに、数分間メールの中継を許すサーバの仕組み。同じアドレスの内側にいる全員が同じ権利を得る。",
        ),
        Term(
            "MTA-STS",
            "MTA-STS",
            "A domain publishes in DNS and over HTTPS that mail to it must use TLS with a valid certificate, so STARTTLS between servers cannot be stripped (RFC 8461).",
            "ドメインが、自分宛てのメールには有効な証明書のTLSを使わなければならないことをDNSとHTTPSで公開し、サーバ間のSTARTTLSが取り除かれないようにする仕組み（RFC 8461）。",
        ),
    ),
    # Chapter 09: the capstone (it also uses earlier chapters' terms by name: mail forwarding,
    # mailing list, bounce (non-delivery report), spoofing, tamper detection, eavesdropping)
    "09": (
        Term(
            "defence in depth",
            "多層防御",
            "Several independent controls along the way, so an attack one of them misses (or one switched off) is stopped by another: OP25B and DMARC both stop the home bot.",
            "経路に沿って独立した対策をいくつも置き、ある対策が見逃した（またはオフにされた）攻撃を別の対策が止めるようにすること。家庭のボットはOP25BとDMARCのどちらでも止まる。",
        ),
        Term(
            "mail transfer agent (MTA)",
            "メール転送エージェント（MTA）",
            "A server that passes mail on to the next server over SMTP: the bank's outbound MTA, the university's forwarder, the recipient's MX.",
            "SMTPでメールを次のサーバへ渡すサーバ。銀行の送信用MTA、大学の転送サーバ、受信者のMXなど。",
        ),
        Term(
            "MX record",
            "MXレコード",
            "The DNS record naming the server that receives a domain's mail; a sending MTA looks it up to find where to deliver (RFC 5321 §5.1).",
            "ドメインのメールを受け取るサーバを示すDNSのレコード。送信側のMTAはこれを問い合わせて配送先を見つける（RFC 5321 §5.1）。",
        ),
        Term(
            "quarantine",
            "隔離",
            "What DMARC p=quarantine asks: accept failing mail but treat it as suspicious, usually the Junk folder. Unlike reject, the mail still arrives.",
            "DMARCのp=quarantineが求めること。失敗したメールを受け付けるが、疑わしいものとして扱う（普通は迷惑メールフォルダへ）。rejectと違い、メールは届く。",
        ),
        Term(
            "delivery status notification (DSN)",
            "配送状態通知（DSN）",
            "The standard form of a bounce (RFC 3464): which recipient failed and why, e.g. 4.2.2 mailbox full, returned to the envelope sender.",
            "エラーメールの標準の形式（RFC 3464）。どの受信者に失敗し、なぜか（例：4.2.2 メールボックスがいっぱい）を、エンベロープの送信者に返す。",
        ),
        Term(
            "man-in-the-middle attack",
            "中間者攻撃",
            "An attacker on the path passes traffic between two parties and reads or changes it on the way; stripping STARTTLS is one.",
            "経路上の攻撃者が二者の間の通信を中継し、途中で読んだり変更したりする攻撃。STARTTLSの除去もその一つ。",
        ),
    ),
}

GLOSSARY: dict[str, Term] = {
    t.english: t for t in (*_COURSE_TERMS, *(t for ts in CHAPTER_TERMS.values() for t in ts))
}


def chapter_terms(chapter: str) -> tuple[Term, ...]:
    """The terms chapter ``chapter`` (for example ``"01"``) adds to the course-wide ones."""
    if chapter not in CHAPTER_TERMS:
        raise InputError(
            TEXT["no_chapter"].format(chapter=chapter, chapters=", ".join(CHAPTER_TERMS))
        )
    return CHAPTER_TERMS[chapter]


def terms(*english: str) -> tuple[Term, ...]:
    """The glossary entries for the given English terms, in that order."""
    missing = [e for e in english if e not in GLOSSARY]
    if missing:
        raise InputError(TEXT["missing"].format(terms=", ".join(missing)))
    return tuple(GLOSSARY[e] for e in english)
